"""Files and programs livepxe takes from the host: where each distribution keeps them (`table`), how to find
them under a test root (`files`), and how external programs are called (`run`)."""
