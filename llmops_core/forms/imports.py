"""HTML forms of the LLMOps core."""

from __future__ import annotations

from django import forms
from django.conf import settings


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="JSONL (one object per line) or CSV with the same columns.")
    partial = forms.BooleanField(
        required=False,
        label="Import the good rows and report the bad ones",
        help_text="Otherwise a file with any bad row imports nothing. A row whose external_id "
        "repeats an earlier row's is skipped: the first one wins.",
    )
    create_prompts = forms.BooleanField(
        required=False,
        label="Create the prompts that rows name but this project lacks",
        help_text="Otherwise a row naming an unknown prompt or version is a bad row. Created "
        "versions have no text: add it as a new version.",
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is "
                f"{settings.IMPORT_MAX_UPLOAD_BYTES:,} bytes."
            )
        return upload
