// Memory maps real firmware handed to the kernel, exactly as the kernel logged them: the
// `pmm map-raw` lines (GRUB's multiboot2 memory-map tag, entry for entry, in firmware order) and,
// on UEFI, the `pmm map-efi` lines (the firmware's own descriptors, multiboot2 tag 17).
// Captured with QEMU 7.2 (Debian 1:7.2+dfsg-7+deb12u18), GRUB 2.06-13+deb12u2 from the ISO:
//   make iso LOG=debug && make run BOOT=iso|uefi MEM=128M|6G LOG=debug
// (the lines are the log's, pasted unchanged; FirmwareMapTests re-encodes them into the wire
// formats and runs them through the parsers).
// BIOS maps come from SeaBIOS 1.16.2's e820 table, UEFI maps from OVMF 2022.11 (OVMF_CODE_4M.fd).
// At 6 GiB the PCI hole splits RAM: 3 GiB below 0xc000_0000, 3 GiB from 4 GiB up.

/// One captured boot: which firmware and memory size, and the log lines.
struct FirmwareMapCapture {
    let machine: String
    let log: String
}

enum FirmwareMaps {
    static let bios128M = FirmwareMapCapture(
        machine: "QEMU pc, SeaBIOS 1.16.2 (Debian seabios 1.16.2-1), -m 128M",
        log: """
            info  boot   loader       protocol=multiboot2 name=GRUB_2.06-13+deb12u2 info=0x00000024e470 modules=6
            info  pmm    map-raw      base=0x000000000000 end=0x00000009fc00 size=639KiB type=usable
            info  pmm    map-raw      base=0x00000009fc00 end=0x0000000a0000 size=1KiB type=reserved
            info  pmm    map-raw      base=0x0000000f0000 end=0x000000100000 size=64KiB type=reserved
            info  pmm    map-raw      base=0x000000100000 end=0x000007fe0000 size=126.9MiB type=usable
            info  pmm    map-raw      base=0x000007fe0000 end=0x000008000000 size=128KiB type=reserved
            info  pmm    map-raw      base=0x0000fffc0000 end=0x000100000000 size=256KiB type=reserved
            info  pmm    map-raw      base=0x00fd00000000 end=0x010000000000 size=12GiB type=reserved
            info  pmm    frames       total=32288 free=32288 used=0 reserved=448 free_size=126.1MiB largest_free_run=32078 metadata=16.2KiB
            """)

    static let bios6G = FirmwareMapCapture(
        machine: "QEMU pc, SeaBIOS 1.16.2 (Debian seabios 1.16.2-1), -m 6G",
        log: """
            info  boot   loader       protocol=multiboot2 name=GRUB_2.06-13+deb12u2 info=0x00000024e470 modules=6
            info  pmm    map-raw      base=0x000000000000 end=0x00000009fc00 size=639KiB type=usable
            info  pmm    map-raw      base=0x00000009fc00 end=0x0000000a0000 size=1KiB type=reserved
            info  pmm    map-raw      base=0x0000000f0000 end=0x000000100000 size=64KiB type=reserved
            info  pmm    map-raw      base=0x000000100000 end=0x0000bffe0000 size=3GiB type=usable
            info  pmm    map-raw      base=0x0000bffe0000 end=0x0000c0000000 size=128KiB type=reserved
            info  pmm    map-raw      base=0x0000fffc0000 end=0x000100000000 size=256KiB type=reserved
            info  pmm    map-raw      base=0x000100000000 end=0x0001c0000000 size=3GiB type=usable
            info  pmm    map-raw      base=0x00fd00000000 end=0x010000000000 size=12GiB type=reserved
            info  pmm    frames       total=1572163 free=1572163 used=0 reserved=669 free_size=6GiB largest_free_run=786432 metadata=903.1KiB
            """)

    static let uefi128M = FirmwareMapCapture(
        machine: "QEMU pc, OVMF 2022.11 (Debian ovmf 2022.11-6+deb12u2, OVMF_CODE_4M.fd), -m 128M",
        log: """
            info  boot   loader       protocol=multiboot2 name=GRUB_2.06-13+deb12u2 info=0x0000001fb000 modules=6
            info  pmm    map-raw      base=0x000000000000 end=0x0000000a0000 size=640KiB type=usable
            info  pmm    map-raw      base=0x000000100000 end=0x000000806000 size=7.0MiB type=usable
            info  pmm    map-raw      base=0x000000806000 end=0x000000808000 size=8KiB type=acpi-nvs
            info  pmm    map-raw      base=0x000000808000 end=0x000000810000 size=32KiB type=usable
            info  pmm    map-raw      base=0x000000810000 end=0x000000900000 size=960KiB type=acpi-nvs
            info  pmm    map-raw      base=0x000000900000 end=0x000006aa0000 size=97.6MiB type=usable
            info  pmm    map-raw      base=0x000006aa0000 end=0x000006ba2000 size=1.0MiB type=reserved
            info  pmm    map-raw      base=0x000006ba2000 end=0x0000074ec000 size=9.3MiB type=usable
            info  pmm    map-raw      base=0x0000074ec000 end=0x0000075ec000 size=1MiB type=reserved
            info  pmm    map-raw      base=0x0000075ec000 end=0x0000076ec000 size=1MiB type=unknown type_code=20
            info  pmm    map-raw      base=0x0000076ec000 end=0x00000776c000 size=512KiB type=reserved
            info  pmm    map-raw      base=0x00000776c000 end=0x00000777e000 size=72KiB type=acpi-reclaim
            info  pmm    map-raw      base=0x00000777e000 end=0x0000077fe000 size=512KiB type=acpi-nvs
            info  pmm    map-raw      base=0x0000077fe000 end=0x000007ef4000 size=7MiB type=usable
            info  pmm    map-raw      base=0x000007ef4000 end=0x000007f78000 size=528KiB type=reserved
            info  pmm    map-raw      base=0x000007f78000 end=0x000008000000 size=544KiB type=acpi-nvs
            info  pmm    map-raw      base=0x0000ffc00000 end=0x000100000000 size=4MiB type=reserved
            debug pmm    map-efi      base=0x000000000000 end=0x000000001000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000000001000 end=0x0000000a0000 size=636KiB type=loader-data efi_type=2 attributes=0xf
            debug pmm    map-efi      base=0x000000100000 end=0x0000001ff000 size=1020KiB type=loader-data efi_type=2 attributes=0xf
            debug pmm    map-efi      base=0x0000001ff000 end=0x000000806000 size=6.0MiB type=conventional efi_type=7 attributes=0xf
            debug pmm    map-efi      base=0x000000806000 end=0x000000808000 size=8KiB type=acpi-nvs efi_type=10 attributes=0xf
            debug pmm    map-efi      base=0x000000808000 end=0x000000810000 size=32KiB type=conventional efi_type=7 attributes=0xf
            debug pmm    map-efi      base=0x000000810000 end=0x000000900000 size=960KiB type=acpi-nvs efi_type=10 attributes=0xf
            debug pmm    map-efi      base=0x000000900000 end=0x000001500000 size=12MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000001500000 end=0x00000269d000 size=17.6MiB type=conventional efi_type=7 attributes=0xf
            debug pmm    map-efi      base=0x00000269d000 end=0x000003b75000 size=20.8MiB type=loader-code efi_type=1 attributes=0xf
            debug pmm    map-efi      base=0x000003b75000 end=0x000003b95000 size=128KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000003b95000 end=0x000006099000 size=37.0MiB type=conventional efi_type=7 attributes=0xf
            debug pmm    map-efi      base=0x000006099000 end=0x0000060d2000 size=228KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000060d2000 end=0x0000060f9000 size=156KiB type=loader-code efi_type=1 attributes=0xf
            debug pmm    map-efi      base=0x0000060f9000 end=0x00000611a000 size=132KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x00000611a000 end=0x00000611b000 size=4KiB type=loader-data efi_type=2 attributes=0xf
            debug pmm    map-efi      base=0x00000611b000 end=0x00000642d000 size=3.1MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x00000642d000 end=0x0000064d9000 size=688KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000064d9000 end=0x000006542000 size=420KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006542000 end=0x0000065e0000 size=632KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000065e0000 end=0x000006624000 size=272KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006624000 end=0x000006646000 size=136KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006646000 end=0x00000664a000 size=16KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x00000664a000 end=0x000006654000 size=40KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006654000 end=0x000006656000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006656000 end=0x00000668c000 size=216KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x00000668c000 end=0x00000668e000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x00000668e000 end=0x0000066a5000 size=92KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000066a5000 end=0x0000066b0000 size=44KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000066b0000 end=0x0000066c5000 size=84KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000066c5000 end=0x0000066cd000 size=32KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000066cd000 end=0x0000066f0000 size=140KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000066f0000 end=0x0000066f2000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000066f2000 end=0x000006706000 size=80KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006706000 end=0x00000670d000 size=28KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x00000670d000 end=0x000006723000 size=88KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006723000 end=0x000006726000 size=12KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006726000 end=0x00000672f000 size=36KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x00000672f000 end=0x000006731000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006731000 end=0x000006740000 size=60KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006740000 end=0x000006743000 size=12KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006743000 end=0x0000067a3000 size=384KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000067a3000 end=0x0000067a4000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000067a4000 end=0x0000067ab000 size=28KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000067ab000 end=0x0000067af000 size=16KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000067af000 end=0x0000067bd000 size=56KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000067bd000 end=0x0000067c0000 size=12KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000067c0000 end=0x0000067cd000 size=52KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000067cd000 end=0x0000067cf000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000067cf000 end=0x0000067d0000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000067d0000 end=0x0000067d2000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000067d2000 end=0x0000067e7000 size=84KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000067e7000 end=0x0000067ed000 size=24KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000067ed000 end=0x000006800000 size=76KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006800000 end=0x000006a01000 size=2.0MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006a01000 end=0x000006a07000 size=24KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006a07000 end=0x000006a0a000 size=12KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006a0a000 end=0x000006a16000 size=48KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006a16000 end=0x000006a17000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006a17000 end=0x000006a18000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006a18000 end=0x000006a1a000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006a1a000 end=0x000006a2d000 size=76KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006a2d000 end=0x000006a30000 size=12KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006a30000 end=0x000006a31000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006a31000 end=0x000006a32000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006a32000 end=0x000006a39000 size=28KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006a39000 end=0x000006a40000 size=28KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006a40000 end=0x000006a44000 size=16KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006a44000 end=0x000006a4c000 size=32KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006a4c000 end=0x000006a50000 size=16KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006a50000 end=0x000006a52000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006a52000 end=0x000006a6f000 size=116KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006a6f000 end=0x000006a71000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006a71000 end=0x000006a8f000 size=120KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006a8f000 end=0x000006a9a000 size=44KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006a9a000 end=0x000006aa0000 size=24KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000006aa0000 end=0x000006ba2000 size=1.0MiB type=runtime-services-data efi_type=6 attributes=0x800000000000000f
            debug pmm    map-efi      base=0x000006ba2000 end=0x000006fa2000 size=4MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000006fa2000 end=0x000007011000 size=444KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000007011000 end=0x000007013000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007013000 end=0x00000702e000 size=108KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x00000702e000 end=0x000007033000 size=20KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007033000 end=0x000007034000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000007034000 end=0x000007035000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007035000 end=0x000007037000 size=8KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000007037000 end=0x000007039000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007039000 end=0x00000703f000 size=24KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x00000703f000 end=0x000007051000 size=72KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007051000 end=0x000007064000 size=76KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000007064000 end=0x000007065000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007065000 end=0x000007068000 size=12KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000007068000 end=0x000007069000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007069000 end=0x00000706a000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x00000706a000 end=0x00000706b000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x00000706b000 end=0x00000706c000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x00000706c000 end=0x00000706e000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x00000706e000 end=0x000007071000 size=12KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000007071000 end=0x000007073000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007073000 end=0x000007075000 size=8KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000007075000 end=0x000007077000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007077000 end=0x00000707b000 size=16KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x00000707b000 end=0x00000707d000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x00000707d000 end=0x00000707e000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x00000707e000 end=0x000007080000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007080000 end=0x000007089000 size=36KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000007089000 end=0x00000708d000 size=16KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x00000708d000 end=0x000007090000 size=12KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000007090000 end=0x0000074ec000 size=4.4MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000074ec000 end=0x0000075ec000 size=1MiB type=runtime-services-data efi_type=6 attributes=0x800000000000000f
            debug pmm    map-efi      base=0x0000075ec000 end=0x0000076ec000 size=1MiB type=runtime-services-code efi_type=5 attributes=0x800000000000000f
            debug pmm    map-efi      base=0x0000076ec000 end=0x00000776c000 size=512KiB type=reserved efi_type=0 attributes=0xf
            debug pmm    map-efi      base=0x00000776c000 end=0x00000777e000 size=72KiB type=acpi-reclaim efi_type=9 attributes=0xf
            debug pmm    map-efi      base=0x00000777e000 end=0x0000077fe000 size=512KiB type=acpi-nvs efi_type=10 attributes=0xf
            debug pmm    map-efi      base=0x0000077fe000 end=0x000007e00000 size=6.0MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007e00000 end=0x000007e81000 size=516KiB type=conventional efi_type=7 attributes=0xf
            debug pmm    map-efi      base=0x000007e81000 end=0x000007ea1000 size=128KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007ea1000 end=0x000007ecf000 size=184KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000007ecf000 end=0x000007ee0000 size=68KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000007ee0000 end=0x000007ef4000 size=80KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000007ef4000 end=0x000007f78000 size=528KiB type=runtime-services-data efi_type=6 attributes=0x800000000000000f
            debug pmm    map-efi      base=0x000007f78000 end=0x000008000000 size=544KiB type=acpi-nvs efi_type=10 attributes=0xf
            debug pmm    map-efi      base=0x0000ffc00000 end=0x000100000000 size=4MiB type=mmio efi_type=11 attributes=0x8000000000000001
            info  pmm    frames       total=30774 free=30774 used=0 reserved=440 free_size=120.2MiB largest_free_run=24992 metadata=16.0KiB
            """)

    static let uefi6G = FirmwareMapCapture(
        machine: "QEMU pc, OVMF 2022.11 (Debian ovmf 2022.11-6+deb12u2, OVMF_CODE_4M.fd), -m 6G",
        log: """
            info  boot   loader       protocol=multiboot2 name=GRUB_2.06-13+deb12u2 info=0x0000001fb000 modules=6
            info  pmm    map-raw      base=0x000000000000 end=0x0000000a0000 size=640KiB type=usable
            info  pmm    map-raw      base=0x000000100000 end=0x000000806000 size=7.0MiB type=usable
            info  pmm    map-raw      base=0x000000806000 end=0x000000808000 size=8KiB type=acpi-nvs
            info  pmm    map-raw      base=0x000000808000 end=0x000000810000 size=32KiB type=usable
            info  pmm    map-raw      base=0x000000810000 end=0x000000900000 size=960KiB type=acpi-nvs
            info  pmm    map-raw      base=0x000000900000 end=0x0000beaa0000 size=3GiB type=usable
            info  pmm    map-raw      base=0x0000beaa0000 end=0x0000beba2000 size=1.0MiB type=reserved
            info  pmm    map-raw      base=0x0000beba2000 end=0x0000bf4ec000 size=9.3MiB type=usable
            info  pmm    map-raw      base=0x0000bf4ec000 end=0x0000bf5ec000 size=1MiB type=reserved
            info  pmm    map-raw      base=0x0000bf5ec000 end=0x0000bf6ec000 size=1MiB type=unknown type_code=20
            info  pmm    map-raw      base=0x0000bf6ec000 end=0x0000bf76c000 size=512KiB type=reserved
            info  pmm    map-raw      base=0x0000bf76c000 end=0x0000bf77e000 size=72KiB type=acpi-reclaim
            info  pmm    map-raw      base=0x0000bf77e000 end=0x0000bf7fe000 size=512KiB type=acpi-nvs
            info  pmm    map-raw      base=0x0000bf7fe000 end=0x0000bfef4000 size=7MiB type=usable
            info  pmm    map-raw      base=0x0000bfef4000 end=0x0000bff78000 size=528KiB type=reserved
            info  pmm    map-raw      base=0x0000bff78000 end=0x0000c0000000 size=544KiB type=acpi-nvs
            info  pmm    map-raw      base=0x0000ffc00000 end=0x000100000000 size=4MiB type=reserved
            info  pmm    map-raw      base=0x000100000000 end=0x0001c0000000 size=3GiB type=usable
            debug pmm    map-efi      base=0x000000000000 end=0x000000001000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x000000001000 end=0x0000000a0000 size=636KiB type=loader-data efi_type=2 attributes=0xf
            debug pmm    map-efi      base=0x000000100000 end=0x0000001ff000 size=1020KiB type=loader-data efi_type=2 attributes=0xf
            debug pmm    map-efi      base=0x0000001ff000 end=0x000000806000 size=6.0MiB type=conventional efi_type=7 attributes=0xf
            debug pmm    map-efi      base=0x000000806000 end=0x000000808000 size=8KiB type=acpi-nvs efi_type=10 attributes=0xf
            debug pmm    map-efi      base=0x000000808000 end=0x000000810000 size=32KiB type=conventional efi_type=7 attributes=0xf
            debug pmm    map-efi      base=0x000000810000 end=0x000000900000 size=960KiB type=acpi-nvs efi_type=10 attributes=0xf
            debug pmm    map-efi      base=0x000000900000 end=0x000001500000 size=12MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x000001500000 end=0x00008c6a0000 size=2.2GiB type=conventional efi_type=7 attributes=0xf
            debug pmm    map-efi      base=0x00008c6a0000 end=0x0000bbb75000 size=756.8MiB type=loader-code efi_type=1 attributes=0xf
            debug pmm    map-efi      base=0x0000bbb75000 end=0x0000bbb95000 size=128KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bbb95000 end=0x0000be09c000 size=37.0MiB type=conventional efi_type=7 attributes=0xf
            debug pmm    map-efi      base=0x0000be09c000 end=0x0000be0c4000 size=160KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be0c4000 end=0x0000be0eb000 size=156KiB type=loader-code efi_type=1 attributes=0xf
            debug pmm    map-efi      base=0x0000be0eb000 end=0x0000be10c000 size=132KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be10c000 end=0x0000be10d000 size=4KiB type=loader-data efi_type=2 attributes=0xf
            debug pmm    map-efi      base=0x0000be10d000 end=0x0000be45a000 size=3.3MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be45a000 end=0x0000be506000 size=688KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be506000 end=0x0000be544000 size=248KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be544000 end=0x0000be5e2000 size=632KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be5e2000 end=0x0000be621000 size=252KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be621000 end=0x0000be626000 size=20KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be626000 end=0x0000be627000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be627000 end=0x0000be644000 size=116KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be644000 end=0x0000be647000 size=12KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be647000 end=0x0000be651000 size=40KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be651000 end=0x0000be653000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be653000 end=0x0000be66a000 size=92KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be66a000 end=0x0000be66b000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be66b000 end=0x0000be673000 size=32KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be673000 end=0x0000be677000 size=16KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be677000 end=0x0000be68e000 size=92KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be68e000 end=0x0000be690000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be690000 end=0x0000be6a7000 size=92KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be6a7000 end=0x0000be6b2000 size=44KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be6b2000 end=0x0000be6c7000 size=84KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be6c7000 end=0x0000be6cf000 size=32KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be6cf000 end=0x0000be6f2000 size=140KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be6f2000 end=0x0000be6f4000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be6f4000 end=0x0000be708000 size=80KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be708000 end=0x0000be70f000 size=28KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be70f000 end=0x0000be728000 size=100KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be728000 end=0x0000be72b000 size=12KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be72b000 end=0x0000be731000 size=24KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be731000 end=0x0000be733000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be733000 end=0x0000be740000 size=52KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be740000 end=0x0000be741000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be741000 end=0x0000be7a3000 size=392KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be7a3000 end=0x0000be7a8000 size=20KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be7a8000 end=0x0000be7bd000 size=84KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be7bd000 end=0x0000be7bf000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be7bf000 end=0x0000be7cc000 size=52KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be7cc000 end=0x0000be7cf000 size=12KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be7cf000 end=0x0000be7d1000 size=8KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be7d1000 end=0x0000be7d4000 size=12KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be7d4000 end=0x0000be7e8000 size=80KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be7e8000 end=0x0000be7ed000 size=20KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000be7ed000 end=0x0000be800000 size=76KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000be800000 end=0x0000bea00000 size=2MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bea00000 end=0x0000bea12000 size=72KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bea12000 end=0x0000bea17000 size=20KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bea17000 end=0x0000bea18000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bea18000 end=0x0000bea1a000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bea1a000 end=0x0000bea2d000 size=76KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bea2d000 end=0x0000bea30000 size=12KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bea30000 end=0x0000bea31000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bea31000 end=0x0000bea32000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bea32000 end=0x0000bea39000 size=28KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bea39000 end=0x0000bea40000 size=28KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bea40000 end=0x0000bea44000 size=16KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bea44000 end=0x0000bea4c000 size=32KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bea4c000 end=0x0000bea5a000 size=56KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bea5a000 end=0x0000bea5c000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bea5c000 end=0x0000bea6f000 size=76KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bea6f000 end=0x0000bea71000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bea71000 end=0x0000bea8f000 size=120KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bea8f000 end=0x0000bea97000 size=32KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bea97000 end=0x0000bea9a000 size=12KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bea9a000 end=0x0000bea9d000 size=12KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bea9d000 end=0x0000beaa0000 size=12KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000beaa0000 end=0x0000beba2000 size=1.0MiB type=runtime-services-data efi_type=6 attributes=0x800000000000000f
            debug pmm    map-efi      base=0x0000beba2000 end=0x0000befa2000 size=4MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000befa2000 end=0x0000bf011000 size=444KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf011000 end=0x0000bf013000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf013000 end=0x0000bf02e000 size=108KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf02e000 end=0x0000bf033000 size=20KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf033000 end=0x0000bf034000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf034000 end=0x0000bf035000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf035000 end=0x0000bf037000 size=8KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf037000 end=0x0000bf039000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf039000 end=0x0000bf03f000 size=24KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf03f000 end=0x0000bf051000 size=72KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf051000 end=0x0000bf064000 size=76KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf064000 end=0x0000bf065000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf065000 end=0x0000bf068000 size=12KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf068000 end=0x0000bf069000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf069000 end=0x0000bf06a000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf06a000 end=0x0000bf06b000 size=4KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf06b000 end=0x0000bf06c000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf06c000 end=0x0000bf06e000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf06e000 end=0x0000bf071000 size=12KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf071000 end=0x0000bf073000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf073000 end=0x0000bf075000 size=8KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf075000 end=0x0000bf077000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf077000 end=0x0000bf07b000 size=16KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf07b000 end=0x0000bf07d000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf07d000 end=0x0000bf07e000 size=4KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf07e000 end=0x0000bf080000 size=8KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf080000 end=0x0000bf089000 size=36KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf089000 end=0x0000bf08d000 size=16KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf08d000 end=0x0000bf090000 size=12KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bf090000 end=0x0000bf4ec000 size=4.4MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bf4ec000 end=0x0000bf5ec000 size=1MiB type=runtime-services-data efi_type=6 attributes=0x800000000000000f
            debug pmm    map-efi      base=0x0000bf5ec000 end=0x0000bf6ec000 size=1MiB type=runtime-services-code efi_type=5 attributes=0x800000000000000f
            debug pmm    map-efi      base=0x0000bf6ec000 end=0x0000bf76c000 size=512KiB type=reserved efi_type=0 attributes=0xf
            debug pmm    map-efi      base=0x0000bf76c000 end=0x0000bf77e000 size=72KiB type=acpi-reclaim efi_type=9 attributes=0xf
            debug pmm    map-efi      base=0x0000bf77e000 end=0x0000bf7fe000 size=512KiB type=acpi-nvs efi_type=10 attributes=0xf
            debug pmm    map-efi      base=0x0000bf7fe000 end=0x0000bfe00000 size=6.0MiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bfe00000 end=0x0000bfe81000 size=516KiB type=conventional efi_type=7 attributes=0xf
            debug pmm    map-efi      base=0x0000bfe81000 end=0x0000bfea1000 size=128KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bfea1000 end=0x0000bfecf000 size=184KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bfecf000 end=0x0000bfee0000 size=68KiB type=boot-services-data efi_type=4 attributes=0xf
            debug pmm    map-efi      base=0x0000bfee0000 end=0x0000bfef4000 size=80KiB type=boot-services-code efi_type=3 attributes=0xf
            debug pmm    map-efi      base=0x0000bfef4000 end=0x0000bff78000 size=528KiB type=runtime-services-data efi_type=6 attributes=0x800000000000000f
            debug pmm    map-efi      base=0x0000bff78000 end=0x0000c0000000 size=544KiB type=acpi-nvs efi_type=10 attributes=0xf
            debug pmm    map-efi      base=0x000100000000 end=0x0001c0000000 size=3GiB type=conventional efi_type=7 attributes=0xf
            debug pmm    map-efi      base=0x0000ffc00000 end=0x000100000000 size=4MiB type=mmio efi_type=11 attributes=0x8000000000000001
            info  pmm    frames       total=1570649 free=1570649 used=0 reserved=661 free_size=6GiB largest_free_run=786432 metadata=903.1KiB
            """)

    static let all = [bios128M, bios6G, uefi128M, uefi6G]
}
