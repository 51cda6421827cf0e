"""The shop's signing keys, kept in the data directory.

* An Ed25519 pair signs each certificate's payload hash (the QR record): small enough for a
  QR code, and anyone with the public key can check it offline.
* An RSA key with a self-issued X.509 certificate signs the PDF itself (PAdES), so PDF readers
  show a signature and ``pdfsig`` reports it. RSA, not ECDSA: with an ECDSA key pyHanko marks
  the file PDF 2.0, which breaks PDF/A-3 (see the platform notes).

Private keys are written readable by the owner only (0600), atomically.
"""

from __future__ import annotations

import base64
import datetime as dt
import errno
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID

from ..errors import BadDocument, StorageError, ValidationError
from ..store.files import write_atomic

ED25519_PRIVATE = "shop-ed25519.key"
ED25519_PUBLIC = "shop-ed25519.pub"
RSA_PRIVATE = "shop-pdf-signing.key"
RSA_CERT = "shop-pdf-signing.crt"


def _write(path: Path, data: bytes, mode: int) -> None:
    write_atomic(path, data, mode)


def fingerprint(public: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, as 16 groups of 4 hex digits (printed on certificates)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    h = hashlib.sha256(raw).hexdigest().upper()
    return " ".join(h[i : i + 4] for i in range(0, 64, 4))


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """A public key file as exported by the app (PEM), or 32 raw bytes in base64."""
    try:
        if b"BEGIN" in data:
            key = serialization.load_pem_public_key(data)
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(data.strip()))
    except (ValueError, TypeError) as exc:
        raise BadDocument("That file is not a shop public key.") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise BadDocument("That file holds another kind of key, not a shop's Ed25519 key.")
    return key


def verify_signature(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public.verify(signature, message)
        return True
    except InvalidSignature:
        return False


@dataclass
class ShopKeys:
    """The shop's keys, created on first use."""

    ed25519: Ed25519PrivateKey
    rsa_key: rsa.RSAPrivateKey
    rsa_cert: x509.Certificate
    folder: Path

    @property
    def public(self) -> Ed25519PublicKey:
        return self.ed25519.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    def sign(self, message: bytes) -> bytes:
        return self.ed25519.sign(message)

    def export_public(self, dest: Path) -> Path:
        _write(dest, public_pem(self.public), 0o644)
        return dest

    def backup(self, dest_folder: Path, passphrase: str) -> list[Path]:
        """Copies of both key pairs, the private keys encrypted with ``passphrase``."""
        if len(passphrase) < 8:
            raise ValidationError(
                {"passphrase": "Choose a passphrase of at least 8 characters for the key backup."}
            )
        enc = serialization.BestAvailableEncryption(passphrase.encode())
        out = []
        for name, key in ((ED25519_PRIVATE, self.ed25519), (RSA_PRIVATE, self.rsa_key)):
            data = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc
            )
            _write(dest_folder / name, data, 0o600)
            out.append(dest_folder / name)
        _write(dest_folder / ED25519_PUBLIC, public_pem(self.public), 0o644)
        _write(
            dest_folder / RSA_CERT, self.rsa_cert.public_bytes(serialization.Encoding.PEM), 0o644
        )
        return [*out, dest_folder / ED25519_PUBLIC, dest_folder / RSA_CERT]


def has_keys(folder: Path) -> bool:
    """True when the data folder holds the shop's signing keys (or any part of them)."""
    return any((folder / n).exists() for n in (ED25519_PRIVATE, RSA_PRIVATE, RSA_CERT))


def read_backup(folder: Path, passphrase: str) -> ShopKeys:
    """Both key pairs from a folder written by :meth:`ShopKeys.backup`."""
    try:
        ed_data = (folder / ED25519_PRIVATE).read_bytes()
        rsa_data = (folder / RSA_PRIVATE).read_bytes()
        cert_data = (folder / RSA_CERT).read_bytes()
    except OSError as exc:
        raise BadDocument(
            f"'{folder}' is not a key backup of JewelerDesk (it needs {ED25519_PRIVATE}, "
            f"{RSA_PRIVATE} and {RSA_CERT}).",
            where=str(folder),
        ) from exc
    try:
        ed = serialization.load_pem_private_key(ed_data, passphrase.encode())
        rk = serialization.load_pem_private_key(rsa_data, passphrase.encode())
        cert = x509.load_pem_x509_certificate(cert_data)
    except (ValueError, TypeError) as exc:
        raise BadDocument(
            "The passphrase does not open this key backup, or its files are damaged. Nothing "
            "was changed."
        ) from exc
    if not isinstance(ed, Ed25519PrivateKey) or not isinstance(rk, rsa.RSAPrivateKey):
        raise BadDocument("That key backup holds the wrong kind of key. Nothing was changed.")
    if cert.public_key().public_numbers() != rk.public_key().public_numbers():  # type: ignore[union-attr]
        raise BadDocument("The key backup's certificate is not its key's. Nothing was changed.")
    return ShopKeys(ed, rk, cert, folder)


def install(keys: ShopKeys, folder: Path) -> ShopKeys:
    """Write ``keys`` into the data folder as the shop's own (each file atomically)."""
    plain = serialization.NoEncryption()
    for name, key in ((ED25519_PRIVATE, keys.ed25519), (RSA_PRIVATE, keys.rsa_key)):
        data = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, plain
        )
        _write(folder / name, data, 0o600)
    _write(folder / ED25519_PUBLIC, public_pem(keys.public), 0o644)
    _write(folder / RSA_CERT, keys.rsa_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _loaded.pop(folder, None)
    return ShopKeys(keys.ed25519, keys.rsa_key, keys.rsa_cert, folder)


def _make_cert(key: rsa.RSAPrivateKey, shop_name: str, country: str) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{shop_name} (certificate signing)"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, shop_name[:64]),
            *([x509.NameAttribute(NameOID.COUNTRY_NAME, country)] if len(country) == 2 else []),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


#: Keys already read, by folder, with the files' (mtime, size) they were read from. Loading an
#: RSA key checks it (about 40 ms); a counter should not pay that for every certificate.
_loaded: dict[Path, tuple[tuple[tuple[int, int], ...], ShopKeys]] = {}


def _stamp(*paths: Path) -> tuple[tuple[int, int], ...]:
    out = []
    for p in paths:
        st = p.stat()
        out.append((st.st_mtime_ns, st.st_size))
    return tuple(out)


def load_or_create(folder: Path, shop_name: str, country: str) -> ShopKeys:
    """The shop's keys from ``folder``, made on first use (and kept while the files don't
    change)."""
    ed_path, rsa_path, cert_path = folder / ED25519_PRIVATE, folder / RSA_PRIVATE, folder / RSA_CERT
    try:
        stamp = _stamp(ed_path, rsa_path, cert_path)
    except OSError:
        stamp = ()
    known = _loaded.get(folder)
    if stamp and known is not None and known[0] == stamp:
        return known[1]
    keys = _load_or_create(folder, shop_name, country)
    try:
        _loaded[folder] = (_stamp(ed_path, rsa_path, cert_path), keys)
    except OSError:
        _loaded.pop(folder, None)
    return keys


def _load_or_create(folder: Path, shop_name: str, country: str) -> ShopKeys:
    ed_path, rsa_path, cert_path = folder / ED25519_PRIVATE, folder / RSA_PRIVATE, folder / RSA_CERT
    try:
        if ed_path.is_file():
            ed = serialization.load_pem_private_key(ed_path.read_bytes(), None)
        else:
            ed = Ed25519PrivateKey.generate()
            _write(
                ed_path,
                ed.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
                0o600,
            )
            _write(folder / ED25519_PUBLIC, public_pem(ed.public_key()), 0o644)
        if rsa_path.is_file() and cert_path.is_file():
            rk = serialization.load_pem_private_key(rsa_path.read_bytes(), None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        else:
            rk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            cert = _make_cert(rk, shop_name, country)
            _write(
                rsa_path,
                rk.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
                0o600,
            )
            _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    except (ValueError, TypeError) as exc:
        raise StorageError(
            "The shop's signing key files are damaged. Restore them from the key backup."
        ) from exc
    except OSError as exc:
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
        raise StorageError(
            "The disk is full, so the shop's signing keys could not be made. Free some space "
            "and try again."
            if full
            else f"The shop's signing keys could not be read or written: {exc.strerror or exc}.",
            where=str(folder),
        ) from exc
    if not isinstance(ed, Ed25519PrivateKey) or not isinstance(rk, rsa.RSAPrivateKey):
        raise StorageError("The shop's signing key files hold the wrong kind of key.")
    return ShopKeys(ed, rk, cert, folder)
