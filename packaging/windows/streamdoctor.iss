; Inno Setup 6 script: a per-user installer for the PyInstaller onedir build in dist\streamdoctor.
;   iscc /DAppVersion=0.1.0 packaging\windows\streamdoctor.iss      (from the repository root; .github/workflows/build.yml)
; Per user, no administrator needed (PrivilegesRequired=lowest): corporate laptops often deny elevation, and the
; app needs none to install (the fixes that need it ask for UAC themselves, one at a time).
; Docs: https://jrsoftware.org/ishelp/ (PrivilegesRequired, {autopf}, {autoprograms}, ArchitecturesAllowed).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "Stream Doctor"
#define AppExe "streamdoctor.exe"
#define Root AddBackslash(SourcePath) + "..\.."

[Setup]
; Never change AppId: Windows finds the installed copy (upgrade, uninstall) by it. The doubled { escapes the brace.
AppId={{0EEF3FC4-6A0B-4D34-86B4-D7FDC295E683}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Stream Doctor developers
VersionInfoVersion={#AppVersion}
; {autopf} is %LOCALAPPDATA%\Programs in non-administrative install mode.
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#Root}\dist
OutputBaseFilename=StreamDoctor-{#AppVersion}-windows-x64-setup
SetupIconFile={#Root}\build\icons\streamdoctor.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Setup replaces the files of a running copy only after asking to close it.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\dist\streamdoctor\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade must not leave the previous version's libraries behind in _internal (PyInstaller onedir layout).
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
