/// The Python program the oras test runs: oras-py (PyPI `oras`, 0.2.43) pushing two artifacts
/// that refer to an image through `subject`, over plain HTTP (`insecure=True`).
///
/// - `sbom` goes through the high-level `Registry.push`, which takes a `subject`
///   (an `oras.oci.Subject`) but has no `artifactType` parameter; its type is carried by the
///   config's media type (`manifest_config="path:type"`), which the referrers API reports when a
///   manifest has no `artifactType`.
/// - `signature` is put together by hand with `upload_blob` and `upload_manifest`, to carry an
///   explicit `artifactType` and the empty config (`application/vnd.oci.empty.v1+json`).
///
/// It prints one JSON object: the manifest digests the registry answered (Docker-Content-Digest)
/// and its OCI-Subject headers.
enum OrasPushScript {
    static let source = #"""
import json, os, sys
import oras.defaults, oras.oci, oras.provider

registry, repository, subject_digest, subject_size, subject_type = sys.argv[1:6]
client = oras.provider.Registry(hostname=registry, insecure=True)
subject = oras.oci.Subject(mediaType=subject_type, digest=subject_digest, size=int(subject_size))

with open("sbom.spdx.json", "w") as f:
    json.dump({"spdxVersion": "SPDX-2.3", "name": "stowage-e2e", "packages": []}, f)
with open("sbom-config.json", "w") as f:
    f.write("{}")
sbom = client.push(
    target=f"{registry}/{repository}:sbom",
    files=["sbom.spdx.json:application/spdx+json"],
    manifest_config="sbom-config.json:application/vnd.example.sbom",
    manifest_annotations={"org.example.kind": "sbom"},
    subject=subject,
    quiet=True,
)

container = client.get_container(f"{registry}/{repository}:signature")
with open("empty.json", "w") as f:
    f.write("{}")
config, _ = oras.oci.ManifestConfig("empty.json", "application/vnd.oci.empty.v1+json")
with open("signature.sig", "wb") as f:
    f.write(b"not really a signature\n")
layer = oras.oci.NewLayer("signature.sig", media_type="application/vnd.example.signature.v1")
layer["annotations"] = {"org.opencontainers.image.title": "signature.sig"}
for path, descriptor in (("empty.json", config), ("signature.sig", layer)):
    response = client.upload_blob(path, container, descriptor)
    if response.status_code not in (200, 201, 202):
        sys.exit(f"blob upload {path} failed: {response.status_code} {response.text}")
manifest = oras.oci.NewManifest()
manifest["artifactType"] = "application/vnd.example.signature"
manifest["config"] = config
manifest["layers"] = [layer]
manifest["subject"] = {"mediaType": subject_type, "digest": subject_digest, "size": int(subject_size)}
manifest["annotations"] = {"org.example.kind": "signature"}
signature = client.upload_manifest(manifest, container)
if signature.status_code not in (200, 201):
    sys.exit(f"manifest upload failed: {signature.status_code} {signature.text}")

print(json.dumps({
    "sbom": sbom.headers.get("Docker-Content-Digest"),
    "signature": signature.headers.get("Docker-Content-Digest"),
    "sbomSubject": sbom.headers.get("OCI-Subject"),
    "signatureSubject": signature.headers.get("OCI-Subject"),
}))
"""#
}
