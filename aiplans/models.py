"""AI plan generations: a request, the drafts a model wrote for it, their validation report and the review."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kinetix.coaching.models import Goal, Level, WeeklyPlan
from kinetix.coaching.plan_document import document_upgrade

SESSION_MINUTES = (15, 180)
NOTES_LENGTH = 1000
REASON_LENGTH = 2000


class GenerationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    NEEDS_REVIEW = "needs_review", "Needs review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


class Injury(models.TextChoices):
    """The injuries a request may list; aiplans/injuries.py maps each to the exercises it rules out."""

    SHOULDER = "shoulder", "Shoulder"
    ELBOW = "elbow", "Elbow"
    WRIST = "wrist", "Wrist"
    LOWER_BACK = "lower_back", "Lower back"
    HIP = "hip", "Hip"
    KNEE = "knee", "Knee"
    ANKLE = "ankle", "Ankle"


class PlanGeneration(models.Model):
    """One request for an AI-drafted weekly plan, from queue to a trainer's approval or rejection."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_generations_requested"
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plan_generations",
        help_text="The trainer who reviews the draft and whose tier's quota it uses.",
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plan_generations_for",
        help_text="The client the plan is for, when known.",
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=GenerationStatus.choices, default=GenerationStatus.QUEUED)

    # The request.
    goal = models.CharField(max_length=32, choices=Goal.choices)
    level = models.CharField(max_length=16, choices=Level.choices)
    equipment = models.JSONField(default=list)
    days_per_week = models.PositiveSmallIntegerField()
    session_minutes = models.PositiveSmallIntegerField()
    injuries = models.JSONField(default=list)
    notes = models.TextField(blank=True, max_length=NOTES_LENGTH)

    # The run.
    prompt_version = models.CharField(max_length=32, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=120, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Model answers, the first and each repair.")
    provider_retries = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)

    # The result and its review.
    draft = models.JSONField(null=True, blank=True, help_text="The model's last answer, as a WeeklyPlan document.")
    report = models.JSONField(default=dict, blank=True, help_text="The validation report of the last answer.")
    approved_document = models.JSONField(null=True, blank=True, help_text="The document the trainer approved.")
    documents_validated = models.BooleanField(
        default=False,
        db_default=False,
        help_text="The draft and approved document were stored as the validator dumps them (aiplans.services), "
        "so reading them back needs no validation; rows stored before this flag are validated when read.",
    )
    plan = models.ForeignKey(WeeklyPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, max_length=REASON_LENGTH)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="plangeneration_unique_idempotency_key",
            )
        ]
        indexes = [
            models.Index(fields=["trainer", "status", "-created_at"]),
            models.Index(fields=["trainer", "created_at"]),
        ]
        permissions = [("export_training_data", "Can export the pseudonymised training data of every trainer")]

    def __str__(self) -> str:
        return f"AI draft #{self.pk} ({self.get_goal_display()}, {self.days_per_week} days)"

    @property
    def was_edited(self) -> bool:
        """Tell whether the trainer changed the draft before approving it (in one version: either may be older)."""
        if self.approved_document is None or self.draft is None:
            return False
        return document_upgrade(self.approved_document) != document_upgrade(self.draft)
