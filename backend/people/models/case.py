from __future__ import annotations

from django.db import models
from django.db.models import Q

from backend.core.crypto.fields import EncryptedJSONField, EncryptedTextField
from backend.core.scoping import ScopedQuerySet
from backend.people.models.scope import person_scope_q


class CaseKind(models.TextChoices):
    CORRECTION = "correction", "社区矫正"
    AFTERCARE = "aftercare", "安置帮教"
    MENTAL_HEALTH = "mental_health", "严重精神障碍"


class CaseStatus(models.TextChoices):
    """One vocabulary for the three kinds; ``transitions.py`` says which kind uses which."""

    PENDING_REPORT = "pending_report", "待报到"  # correction: judgment effective, not yet reported
    ACTIVE = "active", "在矫/在管/帮教中"
    TERM_ENDED = "term_ended", "期满待处理"  # correction: term over, release not yet done
    RELEASED = "released", "已解除"  # correction: released (解除矫正)
    TERMINATED = "terminated", "已终止"  # correction: revoked, committed, death; aftercare: reoffended, death
    NOTIFIED = "notified", "待衔接"  # aftercare: release notice received, not yet handed over
    ENDED = "ended", "期满解除"  # aftercare: period over
    CLOSED = "closed", "已结案"  # mental health: death, moved away, diagnosis withdrawn


OPEN_STATUSES = (CaseStatus.PENDING_REPORT, CaseStatus.ACTIVE, CaseStatus.TERM_ENDED, CaseStatus.NOTIFIED)


class SubStatus(models.TextChoices):
    NONE = "", "—"
    ON_LEAVE = "on_leave", "外出中"
    LOST_CONTACT = "lost_contact", "脱管查找中"
    DETAINED = "detained", "羁押"
    HOSPITALIZED = "hospitalized", "住院治疗"


class SentenceType(models.TextChoices):
    """社区矫正对象类别 (sentence type codes as in the national information system)."""

    CONTROL = "01", "管制"
    PROBATION = "02", "缓刑"
    PAROLE = "03", "假释"
    MEDICAL_PAROLE = "04", "暂予监外执行"


class Category(models.TextChoices):
    """分类管理 level of a correction subject."""

    STRICT = "strict", "严管"
    NORMAL = "normal", "普管"
    LENIENT = "lenient", "宽管"


class AftercareRisk(models.TextChoices):
    HIGH = "high", "高"
    MEDIUM = "medium", "中"
    LOW = "low", "低"


class Stability(models.TextChoices):
    """病情稳定性 derived from the risk level (工作规范 2018)."""

    STABLE = "stable", "稳定"
    BASICALLY_STABLE = "basically_stable", "基本稳定"
    UNSTABLE = "unstable", "不稳定"


# Each kind's detail row, by its relation from the case (one-to-one, on the detail models below).
DETAIL_RELATION = {
    CaseKind.CORRECTION: "correction",
    CaseKind.AFTERCARE: "aftercare",
    CaseKind.MENTAL_HEALTH: "mental_health",
}


def load_details(cases: list[Case]) -> list[Case]:
    """Give each case its own kind's detail row: one query per kind present.  A join to all three detail
    tables (``select_related``) compiled a hundred columns for the one a person usually has, and compiling
    them, not the SQL, was what the person page's case query spent its time on."""
    for kind, relation in DETAIL_RELATION.items():
        of_kind = [case for case in cases if case.kind == kind]
        if of_kind:
            models.prefetch_related_objects(of_kind, relation)
    return cases


class CaseQuerySet(ScopedQuerySet):
    def scope_q(self, user, of=None) -> Q:
        # A case is visible exactly when its person is; the person rules are the single source of truth.
        return person_scope_q(user, "person__", of)

    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Case(models.Model):
    """One case of one kind for one person.  A person may hold several, at once or in sequence."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField("类型", max_length=16, choices=CaseKind.choices)
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="cases")
    # Null only between the insert and the update that writes "JZ2026000123" (the number embeds the id).
    number = models.CharField("案件编号", max_length=32, unique=True, null=True)  # noqa: DJ001
    status = models.CharField("状态", max_length=16, choices=CaseStatus.choices)
    sub_status = models.CharField("子状态", max_length=16, choices=SubStatus.choices, blank=True, default="")
    officer = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    opened_on = models.DateField("立案日期")
    closed_on = models.DateField("结案日期", null=True, blank=True)
    close_reason = models.CharField("结案原因", max_length=32, blank=True, default="")
    # Current values of the dated histories in CaseMark, kept here for filters and the colour board.
    category = models.CharField("管理类别", max_length=8, choices=Category.choices, blank=True, default="")
    aftercare_risk = models.CharField(
        "帮教风险等级", max_length=8, choices=AftercareRisk.choices, blank=True, default=""
    )
    risk_level = models.PositiveSmallIntegerField("危险性评估等级", null=True, blank=True)
    revocation_pending = models.BooleanField("撤销/收监审批中", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        indexes = [
            # Used by person filters (kind/status) and the colour board's EXISTS subqueries.
            models.Index(fields=["person", "kind", "status"], name="case_by_person"),
            models.Index(fields=["jurisdiction", "kind", "status"], name="case_by_jurisdiction"),
        ]

    def __str__(self) -> str:
        return self.number or f"Case {self.pk}"


class CorrectionDetail(models.Model):
    """社区矫正: sentence and judgment (judgment text and crime are encrypted)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="correction", primary_key=True)
    sentence_type = models.CharField("矫正类别", max_length=2, choices=SentenceType.choices)
    crime = EncryptedTextField("罪名")
    judgment = EncryptedJSONField("判决信息", default=dict)  # number, sentence text, original term …
    court = models.CharField("决定机关", max_length=100)
    judgment_effective_on = models.DateField("判决生效日期")
    term_start = models.DateField("矫正起始日期")
    term_end = models.DateField("矫正终止日期")
    # Used by the intake sweep (漏管): pending cases past this date.
    report_deadline = models.DateField("报到期限", db_index=True)
    reported_on = models.DateField("报到日期", null=True, blank=True)
    prohibition_orders = EncryptedTextField("禁止令", null=True, blank=True)

    def __str__(self) -> str:
        return f"CorrectionDetail {self.pk}"


class AftercareOrigin(models.TextChoices):
    PRISON_RELEASE = "prison_release", "刑满释放"
    CORRECTION_END = "correction_end", "社区矫正期满"


class AftercareDetail(models.Model):
    """安置帮教: release, hand-over (衔接) and the support period."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="aftercare", primary_key=True)
    origin = models.CharField("来源", max_length=16, choices=AftercareOrigin.choices)
    source_case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    prison = models.CharField("原服刑单位", max_length=100, blank=True, default="")
    release_notice_on = models.DateField("释放通知日期", null=True, blank=True)
    release_on = models.DateField("释放日期")
    period_end = models.DateField("帮教期满日期")
    key_person = models.BooleanField("重点帮教对象（必接必送）", default=False)
    handover = EncryptedJSONField(
        "衔接记录", null=True, blank=True
    )  # who received, where, when, police registration
    handed_over_on = models.DateField("衔接日期", null=True, blank=True)

    def __str__(self) -> str:
        return f"AftercareDetail {self.pk}"


class Diagnosis(models.TextChoices):
    """The six severe mental disorders (严重精神障碍管理治疗工作规范 2018)."""

    SCHIZOPHRENIA = "schizophrenia", "精神分裂症"
    SCHIZOAFFECTIVE = "schizoaffective", "分裂情感性障碍"
    DELUSIONAL = "delusional", "持久的妄想性障碍（偏执性精神病）"
    BIPOLAR = "bipolar", "双相（情感）障碍"
    EPILEPSY = "epilepsy", "癫痫所致精神障碍"
    INTELLECTUAL = "intellectual", "精神发育迟滞伴发精神障碍"


class MentalHealthDetail(models.Model):
    """严重精神障碍: diagnosis, treatment and medication are encrypted and shown to health roles only."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="mental_health", primary_key=True
    )
    diagnosis = EncryptedTextField("诊断")
    treatment = EncryptedJSONField("治疗情况", null=True, blank=True)
    medication = EncryptedJSONField("用药情况", null=True, blank=True)
    guardian = models.ForeignKey(
        "people.PersonContact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    stability = models.CharField(
        "病情稳定性", max_length=16, choices=Stability.choices, blank=True, default=""
    )

    def __str__(self) -> str:
        return f"MentalHealthDetail {self.pk}"


class MarkKind(models.TextChoices):
    CATEGORY = "category", "管理类别"
    AFTERCARE_RISK = "aftercare_risk", "帮教风险等级"
    RISK_LEVEL = "risk_level", "危险性评估等级"


class CaseMark(models.Model):
    """A dated entry in a case's category or risk history (分类管理/风险评估记录)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="marks")
    kind = models.CharField(max_length=16, choices=MarkKind.choices)
    value = models.CharField(max_length=16)
    effective_on = models.DateField("生效日期")
    reason = EncryptedTextField("理由", null=True, blank=True)
    by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "id"]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}@{self.effective_on}"


class CaseTransition(models.Model):
    """The status history of a case; intakes, releases and terminations in the statistics come from here."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    from_sub_status = models.CharField(max_length=16, blank=True, default="")
    to_sub_status = models.CharField(max_length=16, blank=True, default="")
    reason = models.CharField(max_length=32, blank=True, default="")
    note = EncryptedTextField(null=True, blank=True)
    effective_on = models.DateField()
    by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        # Used by monthly statistics: transitions of a kind in a period.
        indexes = [models.Index(fields=["action", "effective_on"], name="transition_by_action")]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status}→{self.to_status}"


class PlacementKind(models.TextChoices):
    JOB = "job", "就业"
    SELF_EMPLOYED = "self_employed", "自主创业"
    SCHOOL = "school", "就学"
    RELIEF = "relief", "社会救助（低保）"
    TRANSITIONAL_BASE = "transitional_base", "过渡性安置基地"


class Placement(models.Model):
    """安置 records of an aftercare case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="placements")
    kind = models.CharField(max_length=24, choices=PlacementKind.choices)
    start_on = models.DateField()
    end_on = models.DateField(null=True, blank=True)
    note = EncryptedTextField(null=True, blank=True)
    by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, related_name="+")

    def __str__(self) -> str:
        return f"Placement {self.pk}"


class EmergencyRecord(models.Model):
    """应急处置记录 of a mental-health case (to be recorded within 24 h)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="emergencies")
    occurred_at = models.DateTimeField()
    description = EncryptedTextField()
    by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"EmergencyRecord {self.pk}"
