"""livecd-creator --pxe: drop-in, options, wrapper, PxeImageCreator hooks (stand-in imgcreate), real builds."""
