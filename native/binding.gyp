{
  "variables": { "with_uring%": 1, "with_v8%": 1 },
  "targets": [
    {
      "target_name": "tsqemu_sys",
      "sources": ["tsqemu_sys.c", "tsqemu_sock.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
    },
    {
      "target_name": "tsqemu_proc",
      "sources": ["tsqemu_proc.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
    },
    {
      "target_name": "tsqemu_fsdev",
      "sources": ["tsqemu_fsdev.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
    }
  ],
  "conditions": [
    ["with_v8==1", {
      "targets": [
        {
          "target_name": "tsqemu_v8",
          "sources": ["tsqemu_v8.cc"],
          "cflags_cc": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-cast-function-type"]
        }
      ]
    }],
    ["with_uring==1", {
      "targets": [
        {
          "target_name": "tsqemu_uring",
          "sources": ["tsqemu_uring.c"],
          "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
        }
      ]
    }]
  ]
}
