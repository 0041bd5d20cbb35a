"""The seeded incident taxonomy (Bahasa Indonesia) and the response targets per priority.

The lists below are the seed: the data migration 0002 and `seed_taxonomy()` (the demo, the tests)
write them; afterwards administrators edit types and policies in the back office.

Key questions: a "yes" answer can raise the priority to `if_yes` (None = asked for the record only).
Agencies responsible by default are organisation kinds (siaga.core.models.OrgKind values); routing
rules turn them into concrete agencies per region. `needs_capability` tells dispatch what kind of
unit to recommend: "ambulance", "fire", "rescue", "police" or "" (no unit: an agency handles it).

Priority policies (planning defaults, editable per installation):

| priority | response target | agency acknowledgement | second escalation after |
|----------|-----------------|------------------------|-------------------------|
| P1 life-threatening | 8 min  | 2 min  | 3 min  |
| P2 urgent           | 15 min | 5 min  | 5 min  |
| P3 less urgent      | 30 min | 10 min | 10 min |
| P4 non-urgent       | 60 min | 30 min | 30 min |

Why these: 8 minutes is the widely used target for the first response to a cardiac arrest or
other immediately life-threatening call (survival falls steeply with every minute without CPR and
defibrillation); the lower priorities double the allowance step by step. Acknowledgement deadlines
are short on purpose: an acknowledgement only says "we have it", and the call center must know
within minutes when an agency has not seen a life-threatening referral.
"""

from __future__ import annotations


def q(qid: str, text: str, if_yes: int | None = None) -> dict:
    """A key question: id, text in Bahasa Indonesia, and the priority a "yes" raises the incident to."""
    return {"id": qid, "text": text, "if_yes": if_yes}


# (priority, response target minutes, acknowledgement deadline minutes, second escalation minutes)
PRIORITY_POLICIES = [
    (1, 8, 2, 3),
    (2, 15, 5, 5),
    (3, 30, 10, 10),
    (4, 60, 30, 30),
]

MEDIS = "Medis"
KECELAKAAN = "Kecelakaan dan penyelamatan"
KEBAKARAN = "Kebakaran"
BENCANA = "Bencana alam"
UTILITAS = "Utilitas dan prasarana"
KRIMINAL = "Keamanan dan kriminalitas"
SOSIAL = "Sosial"
HEWAN = "Hewan"
LAINNYA = "Lainnya"

_UNCONSCIOUS = q("tidak_sadar", "Apakah korban tidak sadar atau tidak merespons saat dipanggil?", 1)
_NOT_BREATHING = q("tidak_bernapas", "Apakah korban tidak bernapas atau bernapas tidak normal (megap-megap)?", 1)
_HEAVY_BLEEDING = q("perdarahan_hebat", "Apakah ada perdarahan hebat yang tidak berhenti?", 1)
_TRAPPED = q("terjebak", "Apakah ada orang yang terjebak atau tertimbun?", 1)

# Each entry: code, name, category, default priority, key questions, default agency kinds,
# capability needed by dispatch, search keywords (synonyms and everyday words callers use).
INCIDENT_TYPES: list[dict] = [
    # --- medical emergencies, by kind ------------------------------------------------------------
    dict(code="henti-jantung", name="Henti jantung / tidak bernapas", category=MEDIS, priority=1,
         questions=[q("rjp", "Apakah sudah ada yang melakukan RJP (pijat jantung)?"),
                    q("aed", "Apakah ada AED (alat kejut jantung) di dekat lokasi?")],
         agencies=["psc119"], capability="ambulance",
         keywords="cardiac arrest jantung berhenti tidak bernapas meninggal mendadak rjp cpr kolaps"),
    dict(code="nyeri-dada", name="Nyeri dada (dugaan serangan jantung)", category=MEDIS, priority=2,
         questions=[q("menjalar", "Apakah nyeri menjalar ke lengan, rahang atau punggung disertai keringat dingin?", 1),
                    _UNCONSCIOUS,
                    q("riwayat", "Apakah korban punya riwayat penyakit jantung?")],
         agencies=["psc119"], capability="ambulance",
         keywords="serangan jantung angin duduk sakit dada jantung"),
    dict(code="sesak-napas", name="Sesak napas", category=MEDIS, priority=2,
         questions=[q("biru", "Apakah bibir atau ujung jari membiru?", 1),
                    q("tidak_bisa_bicara", "Apakah korban tidak bisa mengucapkan satu kalimat penuh?", 1),
                    q("asma", "Apakah korban punya riwayat asma?")],
         agencies=["psc119"], capability="ambulance",
         keywords="asma sesak napas susah bernapas tersedak ngap"),
    dict(code="stroke", name="Dugaan stroke (wajah mencong, lemah separuh badan, bicara pelo)", category=MEDIS,
         priority=2,
         questions=[q("onset", "Apakah gejala mulai kurang dari 4,5 jam yang lalu?", 1), _UNCONSCIOUS],
         agencies=["psc119"], capability="ambulance",
         keywords="stroke lumpuh separuh badan mulut mencong pelo struk"),
    dict(code="kejang", name="Kejang", category=MEDIS, priority=2,
         questions=[q("lama", "Apakah kejang lebih dari 5 menit atau berulang tanpa sadar di antaranya?", 1),
                    q("hamil", "Apakah korban sedang hamil?", 1),
                    q("anak_demam", "Apakah korban anak kecil yang sedang demam?")],
         agencies=["psc119"], capability="ambulance",
         keywords="kejang step epilepsi ayan kejang demam"),
    dict(code="perdarahan-hebat", name="Perdarahan hebat", category=MEDIS, priority=1,
         questions=[q("memancar", "Apakah darah memancar atau tidak berhenti setelah ditekan?"),
                    q("tidak_sadar", "Apakah korban tidak sadar atau tidak merespons saat dipanggil?")],
         agencies=["psc119"], capability="ambulance",
         keywords="perdarahan berdarah luka robek darah banyak muntah darah"),
    dict(code="persalinan", name="Persalinan / ibu melahirkan", category=MEDIS, priority=2,
         questions=[q("perdarahan", "Apakah ibu mengalami perdarahan banyak?", 1),
                    q("bayi_keluar", "Apakah kepala bayi sudah terlihat atau bayi sudah lahir?", 1),
                    q("kejang_ibu", "Apakah ibu kejang atau tidak sadar?", 1),
                    q("kurang_bulan", "Apakah usia kehamilan kurang dari 37 minggu?")],
         agencies=["psc119"], capability="ambulance",
         keywords="melahirkan hamil ketuban pecah kontraksi bersalin bidan bayi lahir"),
    dict(code="keracunan", name="Keracunan (makanan, obat, zat kimia)", category=MEDIS, priority=2,
         questions=[_UNCONSCIOUS,
                    q("sesak", "Apakah korban sesak napas atau kejang?", 1),
                    q("banyak_korban", "Apakah korban lebih dari lima orang?", 1)],
         agencies=["psc119", "health_office"], capability="ambulance",
         keywords="keracunan makanan overdosis obat racun pestisida miras oplosan"),
    dict(code="luka-bakar", name="Luka bakar", category=MEDIS, priority=2,
         questions=[q("wajah", "Apakah luka bakar mengenai wajah, leher atau terhirup asap panas?", 1),
                    q("luas", "Apakah luka bakar lebih luas dari satu lengan?", 1),
                    q("listrik", "Apakah luka bakar karena sengatan listrik?", 1)],
         agencies=["psc119"], capability="ambulance",
         keywords="luka bakar tersiram air panas kesetrum terbakar"),
    dict(code="tidak-sadar", name="Pingsan / tidak sadarkan diri", category=MEDIS, priority=2,
         questions=[_NOT_BREATHING, _UNCONSCIOUS,
                    q("diabetes", "Apakah korban punya riwayat diabetes?")],
         agencies=["psc119"], capability="ambulance",
         keywords="pingsan tidak sadar semaput ambruk jatuh pingsan"),
    dict(code="krisis-jiwa", name="Krisis kejiwaan / percobaan bunuh diri", category=MEDIS, priority=2,
         questions=[q("melukai_diri", "Apakah korban sudah melukai diri sendiri?", 1),
                    q("senjata", "Apakah ada senjata tajam atau ancaman melukai orang lain?", 1)],
         agencies=["psc119", "police", "social_office"], capability="ambulance",
         keywords="bunuh diri gantung diri lompat depresi odgj mengamuk gangguan jiwa"),
    dict(code="sakit-lainnya", name="Sakit lainnya / butuh ambulans", category=MEDIS, priority=3,
         questions=[_UNCONSCIOUS,
                    q("sesak", "Apakah korban sesak napas?", 2),
                    q("rentan", "Apakah korban bayi, lansia atau ibu hamil?", 2)],
         agencies=["psc119"], capability="ambulance",
         keywords="sakit demam lemas ambulans rujukan pasien muntah diare"),
    # --- accidents and rescue ----------------------------------------------------------------------
    dict(code="kecelakaan-lalu-lintas", name="Kecelakaan lalu lintas", category=KECELAKAAN, priority=2,
         questions=[q("tidak_sadar_terjepit", "Apakah ada korban tidak sadar atau terjepit kendaraan?", 1),
                    _HEAVY_BLEEDING,
                    q("banyak_korban", "Apakah korban lebih dari tiga orang?", 1),
                    q("bbm", "Apakah ada kendaraan terbakar atau bocor bahan bakar?", 1)],
         agencies=["psc119", "police"], capability="ambulance",
         keywords="lakalantas laka tabrakan kecelakaan motor mobil truk tertabrak terserempet"),
    dict(code="kecelakaan-kerja", name="Kecelakaan kerja / jatuh dari ketinggian", category=KECELAKAAN, priority=2,
         questions=[_UNCONSCIOUS, _HEAVY_BLEEDING, _TRAPPED],
         agencies=["psc119", "police"], capability="ambulance",
         keywords="jatuh dari ketinggian kecelakaan kerja tertimpa mesin proyek"),
    dict(code="orang-tenggelam", name="Orang tenggelam / hanyut", category=KECELAKAAN, priority=1,
         questions=[q("terlihat", "Apakah korban masih terlihat di permukaan air?"),
                    q("sudah_diangkat", "Apakah korban sudah diangkat dari air?")],
         agencies=["fire", "bpbd", "psc119", "police"], capability="rescue",
         keywords="tenggelam hanyut terseret arus sungai laut kolam waduk"),
    dict(code="orang-terjebak", name="Orang terjebak (lift, sumur, ketinggian, reruntuhan)", category=KECELAKAAN,
         priority=2,
         questions=[q("luka", "Apakah orang yang terjebak terluka atau sesak napas?", 1),
                    q("anak", "Apakah yang terjebak anak-anak?", 1)],
         agencies=["fire", "bpbd"], capability="rescue",
         keywords="terjebak lift sumur terkunci tersangkut evakuasi cincin"),
    dict(code="bangunan-runtuh", name="Bangunan runtuh", category=KECELAKAAN, priority=2,
         questions=[_TRAPPED, q("luka_berat", "Apakah ada korban luka berat atau tidak sadar?", 1)],
         agencies=["bpbd", "fire", "psc119", "public_works"], capability="rescue",
         keywords="roboh ambruk runtuh bangunan atap rumah jembatan"),
    dict(code="penemuan-jenazah", name="Penemuan jenazah", category=KECELAKAAN, priority=3,
         questions=[q("baru", "Apakah orang tersebut mungkin masih hidup (baru saja ditemukan tidak bergerak)?", 1)],
         agencies=["police", "psc119"], capability="police",
         keywords="mayat jenazah meninggal ditemukan tewas"),
    # --- fire -----------------------------------------------------------------------------------------
    dict(code="kebakaran-bangunan", name="Kebakaran rumah / gedung", category=KEBAKARAN, priority=1,
         questions=[q("terjebak", "Apakah ada orang yang masih di dalam bangunan?"),
                    q("merambat", "Apakah api sudah merambat ke bangunan lain?"),
                    q("gas", "Apakah ada tabung gas di dekat api?")],
         agencies=["fire", "psc119", "police", "pln"], capability="fire",
         keywords="kebakaran rumah gedung toko pasar api asap terbakar damkar"),
    dict(code="kebakaran-lahan", name="Kebakaran lahan / hutan", category=KEBAKARAN, priority=2,
         questions=[q("permukiman", "Apakah api mendekati permukiman?", 1),
                    q("luas", "Apakah area terbakar lebih dari satu hektare?")],
         agencies=["fire", "bpbd"], capability="fire",
         keywords="karhutla kebakaran hutan lahan sawah ilalang gambut asap"),
    dict(code="kebakaran-kendaraan", name="Kebakaran kendaraan", category=KEBAKARAN, priority=2,
         questions=[q("orang_di_dalam", "Apakah masih ada orang di dalam kendaraan?", 1),
                    q("spbu", "Apakah kendaraan berada di dekat SPBU atau bangunan?", 1)],
         agencies=["fire", "police"], capability="fire",
         keywords="mobil terbakar motor terbakar bus truk terbakar"),
    dict(code="kebocoran-gas", name="Kebocoran gas / bau gas", category=KEBAKARAN, priority=2,
         questions=[q("api", "Apakah sudah ada api atau ledakan?", 1),
                    q("korban", "Apakah ada orang pusing, pingsan atau terluka?", 1)],
         agencies=["fire"], capability="fire",
         keywords="gas bocor elpiji lpg tabung gas bau gas ledakan"),
    # --- natural hazards ---------------------------------------------------------------------------------
    dict(code="banjir", name="Banjir", category=BENCANA, priority=3,
         questions=[q("hanyut", "Apakah ada orang terjebak atau hanyut?", 1),
                    q("tinggi", "Apakah air di dalam rumah lebih dari satu meter?", 2),
                    q("rentan", "Apakah ada lansia, bayi, orang sakit atau penyandang disabilitas yang perlu dievakuasi?", 2)],
         agencies=["bpbd", "social_office"], capability="rescue",
         keywords="banjir genangan air naik luapan sungai banjir bandang rob"),
    dict(code="tanah-longsor", name="Tanah longsor", category=BENCANA, priority=2,
         questions=[q("tertimbun", "Apakah ada rumah atau orang yang tertimbun?", 1),
                    q("jalan", "Apakah longsor menutup jalan?")],
         agencies=["bpbd", "public_works", "psc119"], capability="rescue",
         keywords="longsor tanah longsor tebing ambrol"),
    dict(code="gempa-bumi", name="Gempa bumi", category=BENCANA, priority=2,
         questions=[q("roboh", "Apakah ada bangunan roboh?", 1), _TRAPPED,
                    q("luka_berat", "Apakah ada korban luka berat atau tidak sadar?", 1)],
         agencies=["bpbd", "psc119", "public_works"], capability="rescue",
         keywords="gempa lindu getaran tsunami retak"),
    dict(code="angin-kencang", name="Angin puting beliung / angin kencang", category=BENCANA, priority=3,
         questions=[q("luka", "Apakah ada korban luka?", 2),
                    q("atap", "Apakah atap rumah rusak atau terbang?")],
         agencies=["bpbd", "social_office"], capability="rescue",
         keywords="puting beliung angin kencang badai lesus atap terbang"),
    dict(code="pohon-tumbang", name="Pohon tumbang", category=BENCANA, priority=3,
         questions=[q("menimpa", "Apakah pohon menimpa orang, rumah atau kendaraan?", 2),
                    q("korban", "Apakah ada orang yang tertimpa?", 1),
                    q("jalan", "Apakah pohon menutup jalan utama?")],
         agencies=["bpbd", "public_works"], capability="rescue",
         keywords="pohon tumbang roboh dahan patah menutup jalan"),
    # --- utilities and infrastructure --------------------------------------------------------------------
    dict(code="listrik-putus", name="Tiang / kabel listrik putus atau korsleting", category=UTILITAS, priority=2,
         questions=[q("kena_orang", "Apakah kabel mengenai orang atau berada di genangan air?", 1),
                    q("percikan", "Apakah ada percikan api atau asap?", 1)],
         agencies=["pln", "fire"], capability="",
         keywords="pln kabel putus tiang listrik roboh korsleting konslet trafo meledak"),
    dict(code="jalan-rusak", name="Jalan amblas / jembatan putus", category=UTILITAS, priority=3,
         questions=[q("terperosok", "Apakah ada kendaraan atau orang yang terperosok?", 1),
                    q("jalan_utama", "Apakah jalan utama tidak bisa dilalui?")],
         agencies=["public_works", "police"], capability="",
         keywords="jalan amblas berlubang jembatan putus rusak"),
    # --- security and crime -------------------------------------------------------------------------------
    dict(code="kejahatan", name="Kejahatan / pencurian / perampokan", category=KRIMINAL, priority=2,
         questions=[q("pelaku_ada", "Apakah pelaku masih di lokasi?", 1),
                    q("senjata", "Apakah pelaku membawa senjata?", 1),
                    q("luka", "Apakah ada korban luka?", 1)],
         agencies=["police"], capability="police",
         keywords="maling pencurian curanmor begal rampok jambret penipuan copet"),
    dict(code="kdrt", name="Kekerasan dalam rumah tangga (KDRT)", category=KRIMINAL, priority=2,
         questions=[q("berlangsung", "Apakah kekerasan sedang berlangsung sekarang?", 1),
                    q("luka", "Apakah korban terluka?", 1),
                    q("anak", "Apakah ada anak yang menjadi korban atau menyaksikan?")],
         agencies=["police", "social_office"], capability="police",
         keywords="kdrt dipukul suami istri kekerasan rumah tangga aniaya"),
    dict(code="kekerasan-anak-perempuan", name="Kekerasan terhadap anak / perempuan, kekerasan seksual",
         category=KRIMINAL, priority=2,
         questions=[q("berlangsung", "Apakah pelaku masih bersama korban?", 1),
                    q("luka", "Apakah korban terluka?", 1)],
         agencies=["police", "social_office"], capability="police",
         keywords="pelecehan pemerkosaan kekerasan seksual anak dianiaya perempuan"),
    dict(code="perkelahian", name="Perkelahian / tawuran", category=KRIMINAL, priority=2,
         questions=[q("senjata", "Apakah ada senjata tajam?", 1),
                    q("luka", "Apakah ada korban luka?", 1)],
         agencies=["police"], capability="police",
         keywords="tawuran perkelahian keroyok bentrok carok"),
    dict(code="gangguan-ketertiban", name="Gangguan ketertiban umum (keributan, mabuk, balap liar)",
         category=KRIMINAL, priority=3,
         questions=[q("ancaman", "Apakah ada ancaman kekerasan?", 2)],
         agencies=["police"], capability="police",
         keywords="ribut keributan mabuk balap liar petasan berisik premanisme"),
    # --- social -------------------------------------------------------------------------------------------
    dict(code="orang-hilang", name="Orang hilang", category=SOSIAL, priority=3,
         questions=[q("rentan", "Apakah yang hilang anak-anak, lansia, atau penyandang disabilitas?", 2),
                    q("air_hutan", "Apakah terakhir terlihat di sungai, laut, gunung atau hutan?", 1)],
         agencies=["police", "social_office"], capability="police",
         keywords="hilang orang hilang anak hilang tersesat belum pulang pikun"),
    dict(code="orang-terlantar", name="Orang terlantar / ODGJ di jalan", category=SOSIAL, priority=4,
         questions=[q("sakit", "Apakah orang tersebut sakit atau terluka?", 2)],
         agencies=["social_office"], capability="",
         keywords="gelandangan terlantar odgj pengemis tunawisma"),
    # --- animals --------------------------------------------------------------------------------------------
    dict(code="hewan-berbahaya", name="Hewan berbahaya (ular, sarang tawon, hewan buas)", category=HEWAN,
         priority=3,
         questions=[q("gigit", "Apakah ada orang yang tergigit atau tersengat?", 2),
                    q("dalam_rumah", "Apakah hewan berada di dalam rumah atau dekat anak-anak?", 2)],
         agencies=["fire"], capability="rescue",
         keywords="ular kobra sarang tawon lebah biawak buaya anjing gila monyet"),
    # --- other ------------------------------------------------------------------------------------------------
    dict(code="informasi-lainnya", name="Laporan lainnya / permintaan informasi", category=LAINNYA, priority=4,
         questions=[q("bahaya", "Apakah ada bahaya bagi nyawa atau keselamatan orang?", 2)],
         agencies=[], capability="",
         keywords="informasi lainnya tanya pengaduan keluhan"),
]


def type_defaults(entry: dict, sort_order: int) -> dict:
    """The IncidentType field values of one seed entry."""
    return {
        "name": entry["name"],
        "category": entry["category"],
        "default_priority": entry["priority"],
        "key_questions": [dict(x) for x in entry["questions"]],
        "default_agency_kinds": list(entry["agencies"]),
        "needs_capability": entry["capability"],
        "keywords": entry["keywords"],
        "sort_order": sort_order,
    }


def seed_taxonomy(apps=None, *, overwrite: bool = False) -> dict:
    """Write the seed types and priority policies; safe to run any number of times.

    Existing rows (found by code / priority) keep what administrators changed unless overwrite=True,
    which puts the seed values back. `apps` is the historical app registry when called from a migration.
    Returns {"types_created", "types_updated", "policies_created", "policies_updated"}.
    """
    if apps is None:
        from .models import IncidentType, PriorityPolicy
    else:
        IncidentType = apps.get_model("callcenter", "IncidentType")
        PriorityPolicy = apps.get_model("callcenter", "PriorityPolicy")
    counts = {"types_created": 0, "types_updated": 0, "policies_created": 0, "policies_updated": 0}
    for priority, response, ack, again in PRIORITY_POLICIES:
        values = {"response_target_minutes": response, "ack_deadline_minutes": ack, "escalate_again_minutes": again}
        if overwrite:
            _obj, created = PriorityPolicy.objects.update_or_create(priority=priority, defaults=values)
        else:
            _obj, created = PriorityPolicy.objects.get_or_create(priority=priority, defaults=values)
        counts["policies_created" if created else "policies_updated"] += int(created or overwrite)
    for i, entry in enumerate(INCIDENT_TYPES):
        values = type_defaults(entry, sort_order=(i + 1) * 10)
        if overwrite:
            _obj, created = IncidentType.objects.update_or_create(code=entry["code"], defaults=values)
        else:
            _obj, created = IncidentType.objects.get_or_create(code=entry["code"], defaults=values)
        counts["types_created" if created else "types_updated"] += int(created or overwrite)
    return counts
