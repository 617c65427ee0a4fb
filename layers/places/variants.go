package places

// variants are spellings of one name that English, Azerbaijani, Turkish,
// Russian-derived and Armenian-derived usage write differently, including
// former (Soviet) names still used in reporting. A name containing one
// spelling is also found under the others. Matching already ignores case and
// diacritics, so Naxçıvan and Naxcivan need not both be listed.
var variants = [][]string{
	{"Nakhchivan", "Nakhichevan", "Naxçıvan", "Nakhijevan", "Nakhchevan", "Nakhitchevan", "Nakhicevan"},
	// Zangezur is the historical name of the mountains and the district
	// that are Armenia's Syunik province today: one group, so that
	// "Zangezur" alone finds the province.
	{"Syunik", "Siunik", "Sjunik", "Siwnik", "Zangezur", "Zangazur", "Zangezour", "Zanghezur", "Zangesur"},
	{"Gyumri", "Leninakan", "Alexandropol", "Kumayri", "Giumri"},
	{"Vanadzor", "Kirovakan"},
	{"Tbilisi", "Tiflis"},
	{"Yerevan", "Erevan", "Erivan", "Irevan"},
	{"Ganja", "Gəncə", "Gandzha", "Kirovabad", "Gyanja"},
	{"Stepanakert", "Khankendi", "Xankəndi", "Khankandi"},
	{"Shusha", "Şuşa", "Shushi"},
	{"Lachin", "Laçın", "Berdzor"},
	{"Kalbajar", "Kelbajar", "Karvachar", "Kəlbəcər"},
	{"Aghdam", "Ağdam", "Akna"},
	{"Baku", "Bakı"},
	{"Kapan", "Ghapan", "Qafan"},
	{"Meghri", "Mehri", "Megri"},
	{"Julfa", "Culfa", "Jolfa", "Dzhulfa", "Jugha"},
	{"Sharur", "Şərur"},
	{"Sadarak", "Sədərək"},
	{"Sukhumi", "Sokhumi", "Sukhum", "Aqwa"},
	{"Tskhinvali", "Tskhinval", "Tsxinvali"},
	{"Abkhazia", "Abkhazeti", "Apsny"},
	{"Karabakh", "Karabagh", "Garabagh", "Qarabağ", "Karabach"},
	{"Türkiye", "Turkey"},
	{"Iğdır", "Igdyr"},
	{"Vladikavkaz", "Ordzhonikidze"},
	{"Derbent", "Derbend"},
	{"Grozny", "Groznyy"},
	{"Bishkek", "Frunze"},
	{"Khujand", "Khodjent", "Khojand", "Khujant", "Leninabad"},
	{"Almaty", "Alma-Ata"},
	{"Astana", "Nur-Sultan", "Akmola", "Tselinograd"},
	{"Tashkent", "Toshkent"},
	{"Aktau", "Aqtau"},
	{"Tabriz", "Tebriz"},
	{"Ardabil", "Ardebil"},
	{"Urmia", "Orumiyeh", "Urmiye"},
	{"Batumi", "Batum"},
	{"Sisian", "Sisyan"},
	{"Ijevan", "Idjevan"},
	{"Sumgait", "Sumqayıt"},
	{"Mingachevir", "Mingəçevir", "Mingechaur"},
	{"Shirak", "Şirak"},
	{"Tavush", "Tavoush"},
	{"Qazax", "Gazakh"}, // not "Kazakh": in English that is the demonym
	{"Ossetia", "Osetia"},
}
