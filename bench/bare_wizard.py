"""The baseline for bench_package.py: a bare two-page PySide6-Essentials QWizard and nothing else.

The app's size and start-up are measured as ratios against this binary, built with the same PyInstaller options.
"""

import sys

from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWizard, QWizardPage


def make_page(title: str, text: str) -> QWizardPage:
    page = QWizardPage()
    page.setTitle(title)
    layout = QVBoxLayout(page)
    label = QLabel(text)
    label.setWordWrap(True)
    layout.addWidget(label)
    return page


def main() -> int:
    app = QApplication(sys.argv)
    wizard = QWizard()
    wizard.setWindowTitle("Bare wizard")
    wizard.addPage(make_page("Welcome", "The first page of a bare wizard."))
    wizard.addPage(make_page("Done", "The second page."))
    wizard.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
