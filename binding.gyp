{
  "variables": {
    # 0 when libbpf's headers are missing: the batch-UDP addon still builds, the XDP addon does not.
    "with_libbpf%": 1
  },
  "targets": [
    {
      "target_name": "edgens_udp",
      "sources": ["native/addon/udp_addon.cc", "native/addon/udp_socket.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ],
  "conditions": [
    [
      "with_libbpf==1",
      {
        "targets": [
          {
            "target_name": "edgens_fastpath",
            "sources": ["native/addon/addon.cc", "native/addon/bpf-object.cc"],
            "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
            "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
            "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
            "libraries": ["-lbpf"]
          }
        ]
      }
    ]
  ]
}
