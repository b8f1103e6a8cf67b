"""Results for leaders (测评结果): round overview and ranking tables, a unit's page, the city's
trends and the live turnout screen (大屏), with SVG charts drawn on the server."""
