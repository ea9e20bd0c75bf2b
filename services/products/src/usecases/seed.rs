//! The demo catalog the embedded default seeds into an empty database, so a
//! newcomer has something real to browse, filter, page and buy.

use crate::{
    AppState,
    domain::product::{NewProduct, ProductInput},
    error::Error,
    store,
    usecases::catalog,
};

/// (sku, name, category, price in cents, stock, description)
const DEMO_CATALOG: &[(&str, &str, &str, i64, i32, &str)] = &[
    (
        "CPU-R7-7800X3D",
        "Ryzen 7 7800X3D",
        "CPUs",
        44_900,
        25,
        "8 cores, 16 threads, 96 MB L3 cache with 3D V-Cache; AM5.",
    ),
    ("CPU-R5-7600", "Ryzen 5 7600", "CPUs", 19_900, 40, "6 cores, 12 threads, up to 5.1 GHz; AM5, cooler included."),
    ("CPU-I7-14700K", "Core i7-14700K", "CPUs", 39_900, 18, "20 cores (8P + 12E), up to 5.6 GHz; LGA 1700, unlocked."),
    (
        "CPU-I5-14400F",
        "Core i5-14400F",
        "CPUs",
        19_900,
        3,
        "10 cores (6P + 4E), up to 4.7 GHz; no integrated graphics.",
    ),
    ("GPU-RTX-4090", "GeForce RTX 4090 24 GB", "GPUs", 179_900, 4, "Ada Lovelace flagship, 24 GB GDDR6X, DLSS 3."),
    (
        "GPU-RTX-4070S",
        "GeForce RTX 4070 SUPER 12 GB",
        "GPUs",
        59_900,
        12,
        "12 GB GDDR6X; great 1440p performance per watt.",
    ),
    (
        "GPU-RX-7800XT",
        "Radeon RX 7800 XT 16 GB",
        "GPUs",
        49_900,
        15,
        "RDNA 3, 16 GB GDDR6; strong 1440p rasterisation.",
    ),
    ("GPU-ARC-A770", "Arc A770 16 GB", "GPUs", 28_900, 0, "16 GB GDDR6; AV1 encode and decode."),
    (
        "RAM-DDR5-32-6000",
        "DDR5 32 GB (2x16) 6000 MT/s CL30",
        "Memory",
        10_900,
        60,
        "EXPO and XMP profiles; low-profile heat spreaders.",
    ),
    (
        "RAM-DDR5-64-5600",
        "DDR5 64 GB (2x32) 5600 MT/s CL36",
        "Memory",
        17_900,
        22,
        "For workstations and heavy multitasking.",
    ),
    (
        "RAM-DDR4-16-3200",
        "DDR4 16 GB (2x8) 3200 MT/s CL16",
        "Memory",
        3_900,
        80,
        "A budget upgrade for AM4 and older Intel builds.",
    ),
    (
        "SSD-NVME-2TB-G4",
        "NVMe SSD 2 TB PCIe 4.0",
        "Storage",
        14_900,
        35,
        "Up to 7,000 MB/s reads; 1,200 TBW endurance.",
    ),
    (
        "SSD-NVME-1TB-G4",
        "NVMe SSD 1 TB PCIe 4.0",
        "Storage",
        7_900,
        50,
        "Up to 7,000 MB/s reads; heatsink-free M.2 2280.",
    ),
    ("SSD-NVME-4TB-G5", "NVMe SSD 4 TB PCIe 5.0", "Storage", 44_900, 6, "Up to 12,000 MB/s reads; heatsink included."),
    (
        "HDD-8TB-7200",
        "Hard drive 8 TB 7200 rpm",
        "Storage",
        16_900,
        14,
        "3.5-inch SATA; 256 MB cache, for bulk storage.",
    ),
    ("MB-B650-ATX", "B650 ATX motherboard", "Motherboards", 18_900, 20, "AM5, PCIe 5.0 M.2, 2.5 GbE, Wi-Fi 6E."),
    ("MB-X670E-ATX", "X670E ATX motherboard", "Motherboards", 39_900, 7, "AM5, PCIe 5.0 x16 and M.2, 10 GbE, USB4."),
    (
        "MB-Z790-ATX",
        "Z790 ATX motherboard",
        "Motherboards",
        27_900,
        10,
        "LGA 1700, DDR5, PCIe 5.0 x16, Thunderbolt 4 header.",
    ),
    (
        "MB-B760M-MATX",
        "B760M micro-ATX motherboard",
        "Motherboards",
        12_900,
        16,
        "LGA 1700, DDR5, two M.2 slots; compact builds.",
    ),
    (
        "PSU-850-GOLD",
        "850 W 80+ Gold power supply",
        "Power Supplies",
        12_900,
        30,
        "Fully modular, ATX 3.0 with a native 12VHPWR cable.",
    ),
    (
        "PSU-1000-PLAT",
        "1000 W 80+ Platinum power supply",
        "Power Supplies",
        21_900,
        9,
        "Fully modular, ATX 3.1, 10-year warranty.",
    ),
    (
        "PSU-650-BRONZE",
        "650 W 80+ Bronze power supply",
        "Power Supplies",
        6_900,
        45,
        "Semi-modular; enough for a mid-range build.",
    ),
    (
        "COOL-AIO-360",
        "360 mm AIO liquid cooler",
        "Cooling",
        14_900,
        17,
        "Three 120 mm fans; AM5 and LGA 1700 brackets.",
    ),
    ("COOL-AIR-DUAL", "Dual-tower air cooler", "Cooling", 9_900, 28, "Two 140 mm fans; quiet enough for a studio."),
];

/// Seeds the demo catalog if the database has no products at all. Safe to
/// run from several replicas at once: a sku another replica inserted first
/// is skipped.
pub async fn seed_demo_catalog(state: &AppState) -> Result<usize, Error> {
    if store::count_products(&mut state.db.conn().await?).await? > 0 {
        return Ok(0);
    }
    let mut seeded = 0;
    for (sku, name, category, price, stock, description) in DEMO_CATALOG {
        let image_url = format!("https://picsum.photos/seed/{}/640/480", sku.to_lowercase());
        let input = ProductInput {
            sku,
            name,
            description,
            price: Some((*price, &state.currency)),
            category,
            image_url: &image_url,
            stock: *stock,
        };
        let product = NewProduct::parse(&input, &state.currency)?;
        match catalog::create(state, product).await {
            Ok(_) => seeded += 1,
            Err(Error::SkuTaken) => {}
            Err(other) => return Err(other),
        }
    }
    tracing::info!(seeded, "demo catalog seeded");
    Ok(seeded)
}
