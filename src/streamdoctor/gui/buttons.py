"""Qt's own buttons (the wizard's Back/Next/Finish/Cancel, message boxes' Yes/No, Close) in the app's language.

Why here and not with Qt's translations: the build leaves Qt's .qm catalogs out (they cost megabytes, and Qt
would follow the OS language, not the language chosen in our menu), so Qt's buttons would stay English. We name
them ourselves from our one catalog instead, at the moment each window is made.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QWizard

from ..i18n import N_, _

# The wizard's buttons, with the accelerator (&) and the arrows Qt's own English texts have on Windows and Linux
WIZARD_TEXTS: dict[QWizard.WizardButton, str] = {
    QWizard.WizardButton.BackButton: N_("< &Back"),
    QWizard.WizardButton.NextButton: N_("&Next >"),
    QWizard.WizardButton.CommitButton: N_("&Continue >"),
    QWizard.WizardButton.FinishButton: N_("&Finish"),
    QWizard.WizardButton.CancelButton: N_("Cancel"),
    QWizard.WizardButton.HelpButton: N_("&Help"),
}

# The standard buttons our dialogs use (QDialogButtonBox and QMessageBox share the values)
STANDARD_TEXTS: dict[QDialogButtonBox.StandardButton, str] = {
    QDialogButtonBox.StandardButton.Yes: N_("&Yes"),
    QDialogButtonBox.StandardButton.No: N_("&No"),
    QDialogButtonBox.StandardButton.Cancel: N_("Cancel"),
    QDialogButtonBox.StandardButton.Close: N_("&Close"),
    QDialogButtonBox.StandardButton.Ok: N_("OK"),
}


def name_wizard_buttons(wizard: QWizard) -> None:
    """Say the wizard's buttons in the current language (call again after the language changes)."""
    for which, text in WIZARD_TEXTS.items():
        wizard.setButtonText(which, _(text))


def name_standard_buttons(box: QDialogButtonBox | QMessageBox) -> None:
    """Say a button box's or message box's standard buttons in the current language."""
    for which, text in STANDARD_TEXTS.items():
        if isinstance(box, QMessageBox):
            button = box.button(QMessageBox.StandardButton(which.value))
        else:
            button = box.button(which)
        if button is not None:
            button.setText(_(text))
