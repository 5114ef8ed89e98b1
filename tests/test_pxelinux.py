from livepxe.bootconf.entry import BootEntry
from livepxe.bootconf.pxelinux import render


def test_one_entry_boots_without_a_prompt():
    entry = BootEntry("livepxe0", "Live (vmlinuz0)", "/live/a/vmlinuz0", ("/live/a/initrd0.img", "/live/a/iso0.img"),
                      "root=live:/x.iso ro")
    assert render([entry], "c") == (
        "# c\nDEFAULT livepxe0\nPROMPT 0\nTIMEOUT 1\n\nLABEL livepxe0\n  MENU LABEL Live (vmlinuz0)\n"
        "  KERNEL /live/a/vmlinuz0\n  APPEND initrd=/live/a/initrd0.img,/live/a/iso0.img root=live:/x.iso ro\n"
        "\nONERROR LOCALBOOT 0\n")


def test_several_entries_prompt_and_default_to_the_first():
    entries = [BootEntry(f"l{i}", "t", f"vmlinuz{i}", (f"initrd{i}.img",), "ro") for i in range(2)]
    text = render(entries, "c")
    assert "DEFAULT l0\nPROMPT 1" in text and text.count("LABEL l") == 2
