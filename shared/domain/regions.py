"""Province-level administrative divisions (GB/T 2260, 中华人民共和国行政区划代码): the first two digits of
every region code, as ID card numbers and unified social credit codes carry it."""

from __future__ import annotations

PROVINCE_LEVEL_DIVISIONS = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
    # Residence permits of Hong Kong, Macao and Taiwan residents carry 81/82/83 (GB 16735 practice).
    "83": "台湾居民居住证",
}


def is_province_level_division(region_code: str) -> bool:
    return region_code[:2] in PROVINCE_LEVEL_DIVISIONS


# Our two-letter province codes and their GB/T 2260 division.
DIVISION_OF_PROVINCE = {
    "BJ": "11",
    "TJ": "12",
    "HE": "13",
    "SX": "14",
    "NM": "15",
    "LN": "21",
    "JL": "22",
    "HL": "23",
    "SH": "31",
    "JS": "32",
    "ZJ": "33",
    "AH": "34",
    "FJ": "35",
    "JX": "36",
    "SD": "37",
    "HA": "41",
    "HB": "42",
    "HN": "43",
    "GD": "44",
    "GX": "45",
    "HI": "46",
    "CQ": "50",
    "SC": "51",
    "GZ": "52",
    "YN": "53",
    "XZ": "54",
    "SN": "61",
    "GS": "62",
    "QH": "63",
    "NX": "64",
    "XJ": "65",
}
