"""The data model: every table of the platform, importable from one place."""

from quest_platform.models.accounts import Language, Role, RoleName, Theme, User, roles_users
from quest_platform.models.achievements import Achievement, AchievementAward
from quest_platform.models.analytics import (
    DashboardChart,
    QuestPrediction,
    RiskLevel,
    StudentAnalytics,
)
from quest_platform.models.attempts import (
    AppendOnlyError,
    Attempt,
    EvidenceFile,
    Outcome,
    PointsEntry,
    PointsReason,
    Review,
    ReviewKind,
    ReviewSeen,
    StageStart,
    TimeExtension,
)
from quest_platform.models.audit import AuditEntry
from quest_platform.models.base import stored_id, utcnow
from quest_platform.models.classrooms import Classroom, Enrollment, classroom_teacher
from quest_platform.models.code_runs import (
    FINISHED_STATUSES,
    CodePurpose,
    CodeRun,
    CodeRunStatus,
)
from quest_platform.models.games import (
    GAME_CODE_LENGTH,
    MAX_QUESTION_SECONDS,
    MIN_QUESTION_SECONDS,
    Game,
    GameAnswer,
    GamePlayer,
    GameQuestion,
    GameStatus,
)
from quest_platform.models.quests import (
    DEFAULT_GRACE_SECONDS,
    DEFAULT_PASS_PERCENT,
    MAX_STAGES,
    MIN_STAGES,
    QUIZ_KINDS,
    Quest,
    QuestAssignment,
    QuestStatus,
    RevealAnswers,
    Stage,
    StageKind,
)
from quest_platform.models.races import POINTS_STEP, CodeRace
from quest_platform.models.tallies import QuestTally, StageTally
from quest_platform.models.tokens import ApiToken

__all__ = [
    "DEFAULT_GRACE_SECONDS",
    "DEFAULT_PASS_PERCENT",
    "FINISHED_STATUSES",
    "GAME_CODE_LENGTH",
    "MAX_QUESTION_SECONDS",
    "MAX_STAGES",
    "MIN_QUESTION_SECONDS",
    "MIN_STAGES",
    "POINTS_STEP",
    "QUIZ_KINDS",
    "Achievement",
    "AchievementAward",
    "ApiToken",
    "AppendOnlyError",
    "Attempt",
    "AuditEntry",
    "Classroom",
    "CodePurpose",
    "CodeRace",
    "CodeRun",
    "CodeRunStatus",
    "DashboardChart",
    "Enrollment",
    "EvidenceFile",
    "Game",
    "GameAnswer",
    "GamePlayer",
    "GameQuestion",
    "GameStatus",
    "Language",
    "Outcome",
    "PointsEntry",
    "PointsReason",
    "Quest",
    "QuestAssignment",
    "QuestPrediction",
    "QuestStatus",
    "QuestTally",
    "RevealAnswers",
    "Review",
    "ReviewKind",
    "ReviewSeen",
    "RiskLevel",
    "Role",
    "RoleName",
    "Stage",
    "StageKind",
    "StageStart",
    "StageTally",
    "StudentAnalytics",
    "Theme",
    "TimeExtension",
    "User",
    "classroom_teacher",
    "roles_users",
    "stored_id",
    "utcnow",
]
