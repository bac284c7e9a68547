"""Who is at the other end of a replication link: mutually authenticated TLS, and signed chain heads.

Every node has a certificate from the cluster's CA (common name = its code, DNS name = its code in lower case)
and an Ed25519 key of its own. A server learns its caller's identity from the caller's certificate, never from a
request field; a follower checks that the server's certificate names the upstream it meant to reach; and each
batch's last running hash comes signed by the source's own key, so a history forged by a third party — or
served by a node at another's address — is refused. `crm certs init` makes the development CA and the node keys.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

if TYPE_CHECKING:
    from shared.settings import Settings


class IdentityError(Exception):
    """The other end is not who it should be: a certificate or a signed head that does not fit."""


def tls_dir(settings: Settings) -> Path:
    return settings.keys_path() / "tls"


def _write(path: Path, data: bytes) -> None:
    path.touch(mode=0o600)
    path.write_bytes(data)


def _pem_key(key: ec.EllipticCurvePrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def create_certificates(
    directory: Path, nodes: list[str], hosts: tuple[str, ...] = ("localhost",)
) -> list[str]:
    """A development CA (once) and, for each node without one, a certificate and a head-signing key."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    ca_key_file, ca_file = directory / "ca.key", directory / "ca.pem"
    if not ca_file.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CRM development CA")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256())
        )
        _write(ca_key_file, _pem_key(key))
        _write(ca_file, cert.public_bytes(serialization.Encoding.PEM))
    ca_key = serialization.load_pem_private_key(ca_key_file.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{ca_key_file} is not the EC key this CA is made with")
    ca_cert = x509.load_pem_x509_certificate(ca_file.read_bytes())
    made = []
    for code in nodes:
        if (directory / f"{code.lower()}.pem").exists():
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        names = [
            x509.DNSName(code.lower()),
            *(x509.DNSName(h) for h in hosts),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, code)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write(directory / f"{code.lower()}.key", _pem_key(key))
        _write(directory / f"{code.lower()}.pem", cert.public_bytes(serialization.Encoding.PEM))
        signer = Ed25519PrivateKey.generate()
        _write(directory / f"{code.lower()}.sign.key", _pem_key(signer))
        _write(
            directory / f"{code.lower()}.sign.pub",
            signer.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        )
        made.append(code)
    return made


def _read(settings: Settings, name: str) -> bytes:
    path = tls_dir(settings) / name
    if not path.is_file():
        raise FileNotFoundError(
            f"no {path}: run `crm certs init --nodes …` (or, for development only, set "
            "CRM_REPLICATION_PLAINTEXT=true)"
        )
    return path.read_bytes()


def server_credentials(settings: Settings) -> grpc.ServerCredentials:
    code = settings.node_code.lower()
    return grpc.ssl_server_credentials(
        [(_read(settings, f"{code}.key"), _read(settings, f"{code}.pem"))],
        root_certificates=_read(settings, "ca.pem"),
        require_client_auth=True,
    )


def secure_channel(
    settings: Settings, target: str, peer: str, options: Sequence[tuple[str, str | int]]
) -> grpc.Channel:
    """A channel to `peer`'s log, presenting this node's certificate; the server's must name `peer`."""
    if settings.replication_plaintext:
        return grpc.insecure_channel(target, options=options)
    code = settings.node_code.lower()
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(settings, "ca.pem"),
        private_key=_read(settings, f"{code}.key"),
        certificate_chain=_read(settings, f"{code}.pem"),
    )
    return grpc.secure_channel(
        target, credentials, options=[*options, ("grpc.ssl_target_name_override", peer.lower())]
    )


def caller_of(context: grpc.ServicerContext) -> str | None:
    """The calling node's code from its certificate (None on a plaintext development link)."""
    names = context.auth_context().get("x509_common_name")
    return names[0].decode() if names else None


def _head(source: str, destination: str, position: int, running_hash: bytes) -> bytes:
    return f"crm-head|{source}|{destination}|{position}|{running_hash.hex()}".encode()


class HeadSigner:
    def __init__(self, settings: Settings) -> None:
        key = serialization.load_pem_private_key(
            _read(settings, f"{settings.node_code.lower()}.sign.key"), password=None
        )
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{settings.node_code.lower()}.sign.key is not an Ed25519 key")
        self.key = key

    def sign(self, source: str, destination: str, position: int, running_hash: bytes) -> bytes:
        return self.key.sign(_head(source, destination, position, running_hash))


def verify_head(
    settings: Settings, source: str, destination: str, position: int, running_hash: bytes, signature: bytes
) -> None:
    """The source's own key signed this head; otherwise the history is not the source's (IdentityError)."""
    try:
        key = Ed25519PublicKey.from_public_bytes(_read(settings, f"{source.lower()}.sign.pub"))
        key.verify(signature, _head(source, destination, position, running_hash))
    except (InvalidSignature, ValueError) as error:
        raise IdentityError(f"the head at position {position} is not signed by {source}'s key") from error


def is_identity_failure(error: grpc.RpcError) -> bool:
    """A TLS handshake refused: a certificate from another CA, or for another node than the one meant."""
    details = (error.details() or "").lower()
    return any(w in details for w in ("handshake", "certificate", "ssl", "tls", "peer name"))
