/** The kernel's version; plugins declare the range of it they support. */
export const KERNEL_VERSION = "0.1.0";
