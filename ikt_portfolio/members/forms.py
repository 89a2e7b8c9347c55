from django import forms
from django.utils.translation import gettext_lazy as _

from .services import decode_upload

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class PopulationImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: municipality number; year; population (as exported from SSB table 07459)."),
    )
    source = forms.CharField(label=_("source"), max_length=200, initial="SSB, tabell 07459", required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        try:
            self.cleaned_data["text"] = decode_upload(upload.read())
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
        return upload
