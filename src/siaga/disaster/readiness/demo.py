"""Demo content for readiness: shared SOP checklists for three common disaster types and two training modules,
written through the services as the given actor (a disaster manager of PMI headquarters or a province).

Content is data in Bahasa Indonesia (what volunteers read), not interface text.
"""

from __future__ import annotations

from siaga.core.permissions import Actor

from . import services
from .models import SopChecklist, TrainingModule

SOPS = [
    ("banjir", "SOP tanggap darurat banjir", [
        "Pantau tinggi muka air dan peringatan dini BMKG/BPBD",
        "Aktifkan posko dan rantai komando",
        "Kaji cepat lokasi terdampak dalam 6 jam",
        "Evakuasi kelompok rentan (lansia, anak, ibu hamil, disabilitas)",
        "Buka pengungsian dan dapur umum",
        "Distribusikan air bersih dan paket keluarga",
        "Laporkan situasi (sitrep) setiap 24 jam",
    ]),
    ("gempa_bumi", "SOP tanggap darurat gempa bumi", [
        "Pastikan keselamatan tim sebelum bergerak",
        "Kaji cepat kerusakan dan korban",
        "Pencarian dan pertolongan bersama tim SAR",
        "Pertolongan pertama dan rujukan ke fasilitas kesehatan",
        "Dirikan tenda pengungsian dan hunian darurat",
        "Dukungan psikososial",
    ]),
    ("tanah_longsor", "SOP tanggap darurat tanah longsor", [
        "Pantau retakan tanah dan curah hujan",
        "Evakuasi warga di lereng rawan",
        "Tutup akses jalan yang terancam",
        "Pencarian korban bersama tim SAR",
        "Kaji kebutuhan pengungsi",
    ]),
]

FIRST_AID = """# Tujuan
Relawan mampu memberi pertolongan pertama yang aman sampai bantuan medis datang.

# Langkah pertama: aman, respons, minta bantuan
- Pastikan **lokasi aman** bagi Anda, korban dan orang sekitar.
- Periksa respons korban: panggil dan tepuk bahunya.
- Hubungi **112** atau 119 dan sebutkan lokasi dengan jelas.

# Korban tidak bernapas normal
1. Baringkan korban telentang di permukaan keras.
2. Mulai **resusitasi jantung paru (RJP)**: tekan dada 100-120 kali per menit, dalam 5-6 cm.
3. Lanjutkan sampai bantuan datang atau korban bernapas normal.

# Luka bakar
- Dinginkan dengan **air mengalir** 20 menit; jangan pakai es, pasta gigi atau mentega.
- Tutup dengan kain bersih yang tidak melekat.
"""

FIRST_AID_QUIZ = [
    {"question": "Apa yang pertama Anda pastikan sebelum menolong?", "options": [
        "Lokasi aman", "Nama korban", "Ada kamera"], "answer": 0},
    {"question": "Nomor darurat tunggal di Indonesia adalah", "options": ["110", "112", "911"], "answer": 1},
    {"question": "Korban tidak bernapas normal. Anda mulai", "options": [
        "Memberi minum", "RJP", "Menunggu"], "answer": 1},
    {"question": "Berapa kecepatan tekanan dada pada RJP?", "options": [
        "60-80 per menit", "100-120 per menit", "150-180 per menit"], "answer": 1},
    {"question": "Luka bakar didinginkan dengan", "options": ["Es batu", "Pasta gigi", "Air mengalir"],
     "answer": 2},
]

ASSESSMENT = """# Kaji cepat
Kaji cepat memberi gambaran awal dalam 6-24 jam: siapa terdampak, di mana, apa kebutuhannya.

# Yang dicatat
- Jumlah orang meninggal, hilang, luka, mengungsi dan terdampak, **dengan sumbernya**.
- Kerusakan rumah: ringan, sedang, berat.
- Kebutuhan mendesak: air, pangan, tempat tinggal, kesehatan.

# Sumber angka
Angka dari PMI, pemerintah (BPBD) dan sumber lain disimpan terpisah; jangan dijumlahkan.
"""

ASSESSMENT_QUIZ = [
    {"question": "Kaji cepat dilakukan dalam", "options": ["6-24 jam", "1 minggu", "1 bulan"], "answer": 0},
    {"question": "Angka dari PMI dan BPBD", "options": ["Dijumlahkan", "Disimpan dengan sumbernya masing-masing"],
     "answer": 1},
    {"question": "Kerusakan rumah dicatat menurut", "options": ["Warna cat", "Tingkat kerusakan"], "answer": 1},
]


def load(actor: Actor) -> dict:
    """Write the demo SOPs and modules once (skipped when they exist); returns what was written."""
    written = {"checklists": 0, "modules": 0}
    for type_code, title, items in SOPS:
        if not SopChecklist.objects.filter(disaster_type_id=type_code, title=title).exists():
            services.save_checklist(actor, type_code=type_code, title=title, version="2026", items=items)
            written["checklists"] += 1
    for code, title, body, quiz, skill, months in [
            ("pertolongan-pertama-dasar", "Pertolongan pertama dasar", FIRST_AID, FIRST_AID_QUIZ, "first_aid", 24),
            ("kaji-cepat", "Kaji cepat (assessment)", ASSESSMENT, ASSESSMENT_QUIZ, "assessment", 36)]:
        if not TrainingModule.objects.filter(code=code).exists():
            services.save_module(actor, code=code, title=title, body=body, quiz=quiz, pass_mark_percent=80,
                                 validity_months=months, skill_code=skill,
                                 summary=body.split("\n")[1][:500])
            written["modules"] += 1
    return written
