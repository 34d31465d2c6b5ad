"""Realistic Chinese shop chat between buyers, agents, the shop bot (店小蜜) and the system.

A conversation is written to a :class:`~shared.simulator.model.Sink` at increasing times
(milliseconds since the epoch). It mixes the cases automatic QA must see: greetings or
not, emoji (with skin tones, ZWJ sequences, flags, keycaps), short replies that fail the
minimum length, slow and missing replies, a buyer's closing 谢谢 left unanswered, forbidden
words, bot replies and system notices, transfers between agents, unassigned first messages
and every msg_type.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from shared.simulator.model import Agent, Group, Item, Shop, Sink

SECOND = 1000
MINUTE = 60 * SECOND

EMOJI = ("😊", "👍", "🙏", "❤️", "🌹", "😄", "🤗", "💕", "✨", "🎉", "😘", "👌", "💪", "🥰", "☺️")
#: skin tones, ZWJ sequences, a flag, and things that look like emoji but are not (keycap)
#: or that count although they look like text (©, ™)
FANCY_EMOJI = (
    "👍🏻",
    "🙏🏽",
    "👌🏼",
    "💪🏿",
    "👩‍💻",
    "👨‍👩‍👧",
    "❤️‍🔥",
    "🧑🏻‍💼",
    "🏳️‍🌈",
    "🇨🇳",
    "©",
    "™",
    "1️⃣",
)
TAOBAO_EMOTES = ("[微笑]", "[爱心]", "[害羞]", "/:^_^", "[OK]")

OPENERS = ("在吗", "你好", "亲在吗", "有人吗", "hello", "在不在", "在吗？", "老板在吗")

PRESALE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "尺码": (
        (
            "身高165体重110斤穿什么码？",
            "这个偏大还是偏小呀",
            "M码腰围多少",
            "平时穿L，这款拍什么码",
            "170/130斤能穿吗",
        ),
        (
            "亲，根据您的身高体重建议拍M码哦",
            "这款是标准码，按平时尺码拍就可以哦",
            "M码腰围是68cm，详情页有尺码表可以参考下呢",
            "建议拍L码，穿着更舒适哦",
        ),
    ),
    "发货": (
        ("今天能发货吗", "什么时候发货呀", "发什么快递", "几天能到上海", "能发顺丰吗"),
        (
            "亲，下午4点前付款当天发货哦",
            "默认中通快递，需要顺丰可以补差价呢",
            "江浙沪一般1-2天就能到哦",
            "48小时内发货，双十一期间可能稍有延迟，请您谅解",
        ),
    ),
    "优惠": (
        ("有优惠券吗", "双十一有活动吗", "满减怎么算", "能便宜点吗", "老客户有优惠吗"),
        (
            "亲，店铺首页可以领取满299减30的优惠券哦",
            "双十一当天前1小时下单享5折呢",
            "跨店满300减50，可以和店铺券叠加使用哦",
            "价格已经是最低了呢，下单送运费险哦",
        ),
    ),
    "质量": (
        ("质量怎么样", "会不会起球", "掉色吗", "是正品吗", "能机洗吗"),
        (
            "亲，我们家都是正品保证，支持专柜验货哦",
            "面料做过抗起球处理，放心穿哦",
            "深色第一次洗建议单独手洗呢",
            "可以放滚筒洗衣机洗的，建议用洗衣袋哦",
        ),
    ),
    "材质": (
        ("什么面料的", "含棉量多少", "里面是什么填充"),
        (
            "亲，这款是100%新疆长绒棉的哦",
            "含棉量95%，5%氨纶，有弹性呢",
            "填充是90白鸭绒，蓬松度很好哦",
        ),
    ),
    "颜色": (
        ("白色透吗", "有没有黑色", "实物有色差吗", "哪个颜色好看"),
        (
            "白色是双层的，不透哦",
            "黑色目前有现货呢",
            "都是实物拍摄，可能有轻微色差哦",
            "杏色和黑色卖得最好哦，百搭",
        ),
    ),
}
AFTERSALE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "退换": (
        ("衣服收到了，尺码小了能换吗", "怎么退货呀", "七天无理由退货吗"),
        (
            "亲，支持7天无理由退换的，在订单页申请就可以哦",
            "您申请退货后，我这边马上帮您审核哦",
            "换货的话寄回来我们收到后当天给您寄出呢",
        ),
    ),
    "质量问题": (
        ("收到有个破洞", "拉链坏了", "收到的颜色不对"),
        (
            "非常抱歉给您带来不便，麻烦拍一下照片给我看下哦",
            "给您申请补偿10元红包，或者直接退换都可以哦",
            "这边给您重新补发一件新的，运费我们承担",
        ),
    ),
    "物流": (
        ("快递一直不动", "显示签收了但我没收到", "能改地址吗"),
        (
            "亲，我这边帮您联系快递催一下哦",
            "麻烦您先问下驿站或家人有没有代收哦",
            "已经帮您备注修改地址了哦",
        ),
    ),
    "退款": (
        ("退款什么时候到账", "运费险怎么用"),
        ("退款审核通过后1-3个工作日原路退回哦", "运费险会在退货签收后自动理赔到您的支付宝呢"),
    ),
}
LIVE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "直播": (
        ("主播身上那件是几号链接", "还有库存吗", "直播间的券在哪领", "能加急发吗", "主播多高多重"),
        (
            "3号链接哦亲",
            "还有少量库存，抓紧拍哦",
            "直播间右下角可以领券的",
            "已给您备注加急哦",
            "主播165/100斤，穿的S码",
        ),
    ),
}
MIDSALE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "改单": (
        ("拍下了能改地址吗", "我拍了两件能合并发货吗", "拍下了还能用券吗", "付款前能改颜色吗"),
        (
            "可以的亲，我这边帮您改好了哦",
            "可以合并发货的，已经帮您备注啦",
            "需要重新拍才能用券哦，我帮您看一下",
            "已经帮您备注改成黑色了哦",
        ),
    ),
}
TOPICS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "presale": PRESALE,
    "aftersale": AFTERSALE,
    "live": LIVE,
    "midsale": MIDSALE,
}
_TOPIC_KEYS = {kind: tuple(pool) for kind, pool in TOPICS.items()}

GREETINGS = (
    "您好，欢迎光临{shop}，有什么可以帮您的吗",
    "亲，在的哦～",
    "在的亲，请问有什么可以帮到您",
    "你好呀，我是客服{name}",
    "欢迎光临～",
    "亲亲您好",
)
NO_GREETING = ("请问需要什么帮助", "请说", "看一下哈")
SHORT_REPLIES = (
    "好的",
    "嗯",
    "嗯嗯",
    "好的亲",
    "稍等",
    "OK",
    "收到",
    "好　的",
    "好\u00a0的",
    "好的😊",
    "好的呢亲",
    "好的呢亲亲",
    "好的亲😊👍",
)
FORBIDDEN_REPLIES = (
    "这个我也不知道呢",
    "详情页都有写，您自己看一下",
    "不知道哦亲，您问问别人吧",
    "爱买不买",
    "不知道",
)
BUYER_CLOSINGS = (
    "好的谢谢",
    "谢谢",
    "好的，谢谢亲",
    "谢谢啦",
    "ok谢谢",
    "知道了，谢谢",
    "谢谢[微笑]",
)
AGENT_CLOSINGS = (
    "不客气哦，祝您购物愉快",
    "感谢您的支持，有问题随时联系我哦",
    "好的亲，有问题随时找我哦",
    "不客气，欢迎下次光临",
    "应该的亲，祝您生活愉快",
)
BOT_REPLIES = (
    "您好，我是店小蜜，智能客服为您服务～人工客服马上就来",
    "亲，现在咨询人数较多，请稍等片刻哦",
    "【自动回复】付款后48小时内发货，默认中通快递",
    "【店小蜜】您可以点击下方菜单查询物流、退换货进度",
)
REMINDERS = (
    "亲，看到您拍下的宝贝还没付款哦，现在付款今天就能发出呢",
    "亲亲，您的订单还未支付，库存紧张，尽快付款哦",
    "您好，您拍下的宝贝我们已经为您预留，记得付款哦",
)
BUYER_AFTER_REMINDER = ("好的，马上付", "等下付", "再考虑下", "好")
LONG_PARAGRAPH = (
    "我上次在你们家买的那件穿了一次就起球了，洗的时候是按照标签说明手洗的，水温也不高，"
    "也没有用洗衣机甩干，晾的时候也是反面阴干的，结果袖口和腋下全是小球，"
)
IMAGE_URLS = (
    "https://img.alicdn.com/imgextra/i1/2201234567/O1CN01abcDEF.jpg",
    "https://img.alicdn.com/imgextra/i4/2209876543/O1CN01xyzUVW.png",
)


@dataclass(slots=True)
class ConversationEnd:
    """Where a conversation left off."""

    t: int  # time of its last message
    last_buyer_t: int  # time of its last buyer message
    agent: Agent  # the agent at the end (after transfers)


def emoji(rng: random.Random) -> str:
    if rng.random() < 0.12:
        return rng.choice(FANCY_EMOJI)
    return rng.choice(EMOJI)


def decorate(rng: random.Random, text: str) -> str:
    """Add 0–3 emoji to an agent's text, the way agents do."""
    r = rng.random()
    if r < 0.4:
        return text
    if r < 0.8:
        return text + emoji(rng)
    if r < 0.95:
        return text + emoji(rng) + emoji(rng)
    return emoji(rng) + text + emoji(rng) + emoji(rng)


def reply_delay(rng: random.Random, fast: bool = False) -> int:
    """Agent response time: mostly seconds, sometimes over the 30 s slow-reply line."""
    r = rng.random()
    if fast:
        return rng.randint(1 * SECOND, 12 * SECOND)
    if r < 0.72:
        return rng.randint(2 * SECOND, 20 * SECOND)
    if r < 0.90:
        return rng.randint(20 * SECOND, 45 * SECOND)
    return rng.randint(45 * SECOND, 400 * SECOND)


def buyer_gap(rng: random.Random) -> int:
    return rng.randint(3 * SECOND, 90 * SECOND)


def item_link(item: Item) -> str:
    return f"https://item.taobao.com/item.htm?id={item.item_id}"


def _transfer_target(rng: random.Random, shop: Shop, agent: Agent, kind: str) -> Agent | None:
    group: Group = "aftersale" if kind == "presale" and rng.random() < 0.5 else agent.group
    pool = [a for a in shop.group(group) if a.agent_id != agent.agent_id]
    if not pool:
        pool = [a for a in shop.agents if a.agent_id != agent.agent_id]
    return rng.choice(pool) if pool else None


def conversation(
    sink: Sink,
    rng: random.Random,
    shop: Shop,
    buyer: str,
    t: int,
    agent: Agent,
    kind: str = "presale",
    item: Item | None = None,
    order_id: str | None = None,
) -> ConversationEnd:
    """One buyer's visit to the chat window, possibly several sessions and a transfer.

    ``kind`` is presale, aftersale, live or midsale (an order placed, not yet paid).
    """
    r = rng.random
    choice = rng.choice
    pool = TOPICS[kind]
    topic_keys = _TOPIC_KEYS[kind]
    live = kind == "live"
    aid: str | None = agent.agent_id

    if item is not None and r() < 0.2:
        sink.chat(
            shop,
            t,
            buyer,
            aid if r() < 0.7 else None,
            "system",
            f"买家正在咨询：{item.title}",
            "other" if r() < 0.5 else "text",
        )
        t += rng.randint(200, 3 * SECOND)

    # -- the first buyer message, sometimes before any agent is assigned
    unassigned = r() < 0.1
    first_aid = None if unassigned else aid
    opener = False
    topic = choice(topic_keys)
    x = r()
    if order_id is not None and x < 0.35:
        sink.chat(shop, t, buyer, first_aid, "buyer", f"订单号：{order_id}", "order_card")
        t += rng.randint(1 * SECOND, 15 * SECOND)
        sink.chat(shop, t, buyer, first_aid, "buyer", choice(pool[topic][0]))
    elif item is not None and x < 0.15:
        sink.chat(shop, t, buyer, first_aid, "buyer", item_link(item), "item_link")
        t += rng.randint(1 * SECOND, 20 * SECOND)
        sink.chat(shop, t, buyer, first_aid, "buyer", choice(pool[topic][0]))
    elif x < 0.4:
        opener = True
        sink.chat(shop, t, buyer, first_aid, "buyer", choice(OPENERS))
    else:
        sink.chat(shop, t, buyer, first_aid, "buyer", choice(pool[topic][0]))
    last_buyer_t = t
    if unassigned:
        t += rng.randint(2 * SECOND, 20 * SECOND)
        sink.chat(shop, t, buyer, aid, "system", f"已为您接入客服 {agent.name}", "other")
    if r() < 0.25:
        t += rng.randint(300, 2 * SECOND)
        sink.chat(shop, t, buyer, aid if r() < 0.5 else None, "bot", choice(BOT_REPLIES))

    # -- question and answer turns
    greeted = False
    transferred = False
    turns = choice((1, 1, 2, 2, 2, 3, 3, 4, 5))
    if opener:
        turns += 1
    for i in range(turns):
        if i > 0:
            if r() < 0.05:
                # the buyer comes back after the session gap: a new session, same day or not
                t += rng.randint(31 * MINUTE, 180 * MINUTE)
            else:
                t += buyer_gap(rng)
            topic = choice(topic_keys)
            y = r()
            if y < 0.06:
                sink.chat(
                    shop, t, buyer, aid, "buyer", choice(("", "[图片]", *IMAGE_URLS)), "image"
                )
                t += rng.randint(1 * SECOND, 10 * SECOND)
            elif y < 0.08:
                sink.chat(shop, t, buyer, aid, "buyer", '[语音] 3"', "other")
                t += rng.randint(1 * SECOND, 10 * SECOND)
            elif y < 0.09:
                sink.chat(
                    shop, t, buyer, aid, "buyer", (LONG_PARAGRAPH * rng.randint(2, 30))[:3000]
                )
                t += rng.randint(1 * SECOND, 10 * SECOND)
            elif y < 0.1:
                sink.chat(shop, t, buyer, aid, "buyer", choice(TAOBAO_EMOTES))
                t += rng.randint(1 * SECOND, 10 * SECOND)
            sink.chat(shop, t, buyer, aid, "buyer", choice(pool[topic][0]))
            last_buyer_t = t
            if r() < 0.15:  # two buyer messages in a row
                t += rng.randint(2 * SECOND, 15 * SECOND)
                sink.chat(
                    shop, t, buyer, aid, "buyer", choice(("？", "在吗", "亲？", "快点回复呀"))
                )
                last_buyer_t = t
        if r() < 0.04:
            # nobody answers: the buyer leaves
            return ConversationEnd(t, last_buyer_t, agent)
        t += reply_delay(rng, fast=live)
        z = r()
        if not greeted:
            greeted = True
            g = (
                choice(GREETINGS).format(shop=shop.name, name=agent.name)
                if r() < 0.85
                else choice(NO_GREETING)
            )
            if opener and i == 0:
                sink.chat(shop, t, buyer, aid, "agent", decorate(rng, g))
                continue
            answer = g + "，" + choice(pool[topic][1])
        elif z < 0.1:
            answer = choice(SHORT_REPLIES)
        elif z < 0.125:
            answer = choice(FORBIDDEN_REPLIES)
        else:
            answer = choice(pool[topic][1])
        sink.chat(shop, t, buyer, aid, "agent", decorate(rng, answer))
        if z < 0.04 and not live:
            # a short "稍等" first, then the real answer a little later
            t += rng.randint(5 * SECOND, 40 * SECOND)
            sink.chat(shop, t, buyer, aid, "agent", decorate(rng, choice(pool[topic][1])))
        w = r()
        if w < 0.12:
            t += rng.randint(500, 3 * SECOND)
            sink.chat(shop, t, buyer, aid, "agent", emoji(rng), "emoji")
        elif w < 0.16 and item is not None:
            t += rng.randint(1 * SECOND, 5 * SECOND)
            sink.chat(shop, t, buyer, aid, "agent", item_link(item), "item_link")
        elif w < 0.19:
            t += rng.randint(1 * SECOND, 5 * SECOND)
            sink.chat(shop, t, buyer, aid, "agent", choice(("", IMAGE_URLS[0])), "image")
        if not transferred and i < turns - 1 and r() < 0.06:
            target = _transfer_target(rng, shop, agent, kind)
            if target is not None:
                transferred = True
                t += rng.randint(2 * SECOND, 10 * SECOND)
                sink.chat(shop, t, buyer, aid, "agent", "亲，这个问题帮您转接专门的同事处理哦")
                t += rng.randint(1 * SECOND, 5 * SECOND)
                sink.chat(
                    shop,
                    t,
                    buyer,
                    target.agent_id,
                    "system",
                    f"会话已由 {agent.name} 转接给 {target.name}",
                    "other",
                )
                agent = target
                aid = agent.agent_id
                t += reply_delay(rng)
                sink.chat(
                    shop,
                    t,
                    buyer,
                    aid,
                    "agent",
                    decorate(rng, f"您好，我是{agent.name}，您的问题我来为您处理"),
                )

    # -- closing
    c = r()
    if c < 0.55:
        t += buyer_gap(rng)
        sink.chat(shop, t, buyer, aid, "buyer", choice(BUYER_CLOSINGS))
        last_buyer_t = t
        if r() < 0.85:
            t += reply_delay(rng, fast=live)
            sink.chat(shop, t, buyer, aid, "agent", decorate(rng, choice(AGENT_CLOSINGS)))
        # else: the buyer's 谢谢 gets no reply (closing_by_agent + unanswered)
    elif c < 0.8:
        t += rng.randint(2 * SECOND, 20 * SECOND)
        sink.chat(shop, t, buyer, aid, "agent", decorate(rng, choice(AGENT_CLOSINGS)))
    elif c < 0.85:
        t += rng.randint(10 * MINUTE, 30 * MINUTE)
        sink.chat(shop, t, buyer, aid, "system", "该会话已超时结束", "other")
    return ConversationEnd(t, last_buyer_t, agent)


def payment_reminder(
    sink: Sink,
    rng: random.Random,
    shop: Shop,
    buyer: str,
    t: int,
    agent: Agent,
    order_id: str,
    buyer_answers: bool,
) -> int:
    """An agent reminds a buyer of an unpaid order (催付); returns the time of the last message."""
    aid = agent.agent_id
    sink.chat(shop, t, buyer, aid, "agent", decorate(rng, rng.choice(REMINDERS)))
    if rng.random() < 0.4:
        t += rng.randint(1 * SECOND, 5 * SECOND)
        sink.chat(shop, t, buyer, aid, "agent", f"订单号：{order_id}", "order_card")
    if buyer_answers:
        t += rng.randint(30 * SECOND, 20 * MINUTE)
        sink.chat(shop, t, buyer, aid, "buyer", rng.choice(BUYER_AFTER_REMINDER))
        if rng.random() < 0.7:
            t += reply_delay(rng)
            sink.chat(shop, t, buyer, aid, "agent", decorate(rng, "好的亲，付款后尽快为您安排发货"))
    return t


def bot_only(sink: Sink, rng: random.Random, shop: Shop, buyer: str, t: int) -> int:
    """A buyer talks only to the bot (no agent assigned): stored, never counted."""
    sink.chat(shop, t, buyer, None, "buyer", rng.choice(PRESALE["发货"][0]))
    t += rng.randint(300, 2 * SECOND)
    sink.chat(shop, t, buyer, None, "bot", BOT_REPLIES[2])
    if rng.random() < 0.5:
        t += buyer_gap(rng)
        sink.chat(shop, t, buyer, None, "buyer", rng.choice(BUYER_CLOSINGS))
    return t
