from livepxe.tree.manifest import parse_sha256sums, sha256sums


def test_sha256sums_round_trip_in_sha256sum_format():
    digests = {"b/initrd0.img": "1" * 64, "a": "2" * 64}
    text = sha256sums(digests)
    assert text == f"{'2' * 64}  a\n{'1' * 64}  b/initrd0.img\n"
    assert parse_sha256sums(text) == digests
