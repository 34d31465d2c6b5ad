"""Deterministic shops: agents in groups (presale, aftersale, live) with mentors, buyers, items."""

from __future__ import annotations

import random

from shared.simulator.model import Agent, Group, Item, Shop, SimConfig

SHOP_NAMES = (
    "小鹿家旗舰店",
    "森屿服饰",
    "暖暖母婴专营店",
    "极客数码官方店",
    "花间美妆",
    "橙子家居",
    "山野户外",
    "猫咪零食铺",
    "一只杯子",
    "南城女装",
    "Lumi潮玩",
    "良品茶舍",
)

AGENT_NICKS = (
    "小美",
    "小丽",
    "阿杰",
    "小雨",
    "木木",
    "糖糖",
    "小七",
    "豆豆",
    "可乐",
    "安妮",
    "晴天",
    "Amy",
    "Kiki",
    "小白",
    "阿花",
    "芒果",
    "小鱼",
    "一一",
    "橘子",
    "Coco",
    "七七",
    "Zoe",
    "小鹿",
    "团子",
    "阿狸",
    "Eva",
    "布丁",
    "小新",
    "暖暖",
    "乐乐",
)

BUYER_WORDS = (
    "快乐的",
    "爱吃",
    "小小",
    "今天也要",
    "温柔",
    "追风的",
    "不想上班的",
    "jojo",
    "momo",
    "阳光",
)
BUYER_NOUNS = ("小猪", "猫咪", "兔兔", "少女", "大叔", "宝妈", "学生党", "鱼", "tiger", "星星")

ITEMS = (
    ("纯棉短袖T恤 宽松百搭", 5990),
    ("加绒连帽卫衣 秋冬款", 12900),
    ("高腰直筒牛仔裤", 15900),
    ("90白鸭绒轻薄羽绒服", 39900),
    ("法式碎花连衣裙", 19900),
    ("透气网面运动鞋", 23900),
    ("316不锈钢保温杯 500ml", 8900),
    ("降噪蓝牙耳机", 29900),
    ("补水保湿面膜 10片装", 6990),
    ("全价成猫粮 2kg", 11950),
    ("乳胶枕头 一对装", 19900),
    ("儿童防滑袜 5双装", 2990),
    ("双十一限定礼盒", 59900),
    ("冲锋衣 三合一", 49900),
)


def _group_sizes(n: int) -> dict[Group, int]:
    live = n // 6
    aftersale = max(1, n // 4) if n >= 3 else 0
    presale = n - live - aftersale
    return {"presale": presale, "aftersale": aftersale, "live": live}


def build_shop(rng: random.Random, shop_id: str, index: int, agents: int, buyers: int) -> Shop:
    if agents < 1:
        raise ValueError("a shop needs at least one agent")
    name = SHOP_NAMES[index % len(SHOP_NAMES)]
    if index >= len(SHOP_NAMES):
        name = f"{name}{index // len(SHOP_NAMES) + 1}"
    nicks = list(AGENT_NICKS)
    rng.shuffle(nicks)
    agent_list: list[Agent] = []
    by_group: dict[str, list[Agent]] = {}
    k = 0
    for group, size in _group_sizes(agents).items():
        members: list[Agent] = []
        for j in range(size):
            nick = nicks[k % len(nicks)]
            if k >= len(nicks):
                nick = f"{nick}{k // len(nicks) + 1}"
            k += 1
            # Taobao sub-accounts read "店铺名:子账号"
            agent_id = f"{name}:{nick}"
            mentor: str | None = None
            # the first of a group of three or more mentors about half of the others (师傅制)
            if size >= 3 and j > 0 and rng.random() < 0.6:
                mentor = members[0].agent_id
            agent = Agent(agent_id=agent_id, name=nick, group=group, mentor_id=mentor)
            members.append(agent)
            agent_list.append(agent)
        if members:
            by_group[group] = members
    buyer_ids: list[str] = []
    seen: set[str] = set()
    while len(buyer_ids) < buyers:
        r = rng.random()
        if r < 0.5:
            bid = f"tb_{rng.randrange(10**7, 10**10)}"
        elif r < 0.9:
            bid = f"{rng.choice(BUYER_WORDS)}{rng.choice(BUYER_NOUNS)}{rng.randrange(1, 9999)}"
        else:
            bid = f"t-{rng.randrange(10**9, 10**10)}-{rng.choice(BUYER_NOUNS)}"
        if bid not in seen:
            seen.add(bid)
            buyer_ids.append(bid)
    item_pool = list(ITEMS)
    rng.shuffle(item_pool)
    items = [
        Item(item_id=str(rng.randrange(6 * 10**11, 7 * 10**11)), title=title, price_cents=price)
        for title, price in item_pool[: rng.randint(5, 9)]
    ]
    return Shop(
        shop_id=shop_id,
        name=name,
        agents=agent_list,
        buyers=buyer_ids,
        items=items,
        by_group=by_group,
    )


def build_shops(config: SimConfig, rng: random.Random | None = None) -> list[Shop]:
    """The shops of a config, deterministic in ``config.seed``."""
    rng = rng or random.Random(config.seed)
    return [
        build_shop(rng, shop_id, i, config.agents_per_shop, config.buyers_per_shop)
        for i, shop_id in enumerate(config.resolved_shop_ids())
    ]
