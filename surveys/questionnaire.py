"""The standard questionnaire that new rounds start from."""

from .models import ItemKind

HEADLINE_ITEMS = [
    (ItemKind.SELECTION, "您对本单位（地区）干部选拔任用工作的总体评价"),
    (ItemKind.CONDUCT, "您对本单位（地区）防治用人不正之风工作的总体评价"),
]
STANDARD_SUB_ITEMS = [
    "选人用人坚持注重实绩、群众公认的导向",
    "干部选拔任用工作的民主公开程度",
    "干部选拔任用程序的规范程度",
    "对跑官要官、拉票贿选等问题的查处力度",
    "对选人用人问题举报的受理和反馈",
]
OPINION_ITEM = "您对改进本单位（地区）选人用人工作的意见和建议"
