"""Names the lab and the probes share: the lab's marker and hold headers, and the lab's own API keys.

The keys are fixed, public, and accepted only by the built-in lab: the lab never sees a user's real key.
"""

from __future__ import annotations

LAB_API_KEY = "sk-ant-lab-demo"  # the lab accepts any key but this one is what --lab sends
REFUSED_API_KEY = "sk-ant-lab-refused"  # the lab answers this key with the API's 401, to test that path
LAB_MARKER_HEADER = "x-streamdoctor-lab"  # on every lab answer: lets a probe know it talks to the lab
SILENT_HOLD_HEADER = "x-streamdoctor-silent-s"  # request header: answer only after this many silent seconds
