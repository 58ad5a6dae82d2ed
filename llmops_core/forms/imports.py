"""HTML forms of the LLMOps core."""

from __future__ import annotations

from django import forms
from django.conf import settings


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="JSONL (one object per line) or CSV with the same columns.")
    partial = forms.BooleanField(
        required=False,
        label="Import the good rows and report the bad ones",
        help_text="Otherwise a file with any bad row imports nothing.",
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is "
                f"{settings.IMPORT_MAX_UPLOAD_BYTES:,} bytes."
            )
        return upload
