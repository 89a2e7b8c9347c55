from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import Person
from .services import create_login, decode_upload

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


class PersonCreationForm(forms.ModelForm):
    """Adds a person and their login in one step, so administrators never need the user register."""

    username = forms.CharField(label=_("user name"), max_length=150)
    first_name = forms.CharField(label=_("first name"), max_length=150)
    last_name = forms.CharField(label=_("last name"), max_length=150)
    email = forms.EmailField(label=_("e-mail"))

    class Meta:
        model = Person
        fields = ["username", "first_name", "last_name", "email", "municipality", "staff_of", "job_title", "language"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("The user name is taken."))
        return username

    def save(self, commit=True):
        self.instance.user = create_login(
            username=self.cleaned_data["username"],
            first_name=self.cleaned_data["first_name"],
            last_name=self.cleaned_data["last_name"],
            email=self.cleaned_data["email"],
        )
        return super().save(commit)
