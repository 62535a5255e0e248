"""X.509 without a native crypto library: a strict DER reader/writer, a certificate parser and the lab's CA.

Why its own package: the app only reads certificates (the TLS probe) and makes one throwaway CA per lab run;
that does not justify shipping a 11 MiB native extension in every download. Verification stays with OpenSSL.
"""

from .cert import Certificate, Name, NameAttribute, load_der, load_pem
from .der import X509Error

__all__ = ["Certificate", "Name", "NameAttribute", "X509Error", "load_der", "load_pem"]
