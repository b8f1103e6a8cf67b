"""Which rounds' files may leave the server.

No file of an open round: not its results, opinions or raw ballots. Two downloads taken
around one submission would differ by exactly that ballot, and the dashboards already hide an
open round's results; the files agree with them. Turnout stays on the live pages (大屏,
/fieldwork/), which show counts only.
"""

from surveys.models import RoundStatus
from django.utils.translation import gettext_lazy as _

OPEN_ROUND_REFUSAL = (
    _("本轮测评仍在进行中：结果报表、各单位反馈和原始票要在测评结束后才能下载。"
    "测评期间可以在组织实施页面和大屏查看回收情况。")
)


def files_refusal(round_):
    """The reason a round's report files cannot be taken now, or None."""
    if round_.status in (RoundStatus.DRAFT, RoundStatus.OPEN):
        return OPEN_ROUND_REFUSAL
    return None
