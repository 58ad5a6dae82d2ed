"""Forms of the annotation pages: the queue builder and settings, and a queue's controls."""

from annotate.forms.controls import GoldForm, PinForm, ReviewersForm
from annotate.forms.queues import (
    OutputChoiceForm,
    QueueForm,
    QueueSettingsForm,
    QueueStateForm,
    initial_choice,
)

__all__ = [
    "GoldForm",
    "OutputChoiceForm",
    "PinForm",
    "QueueForm",
    "QueueSettingsForm",
    "QueueStateForm",
    "ReviewersForm",
    "initial_choice",
]
