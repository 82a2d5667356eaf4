// Tells Kramar what happened to an order, as the reference shop does (issue 20):
// a signed webhook to SHOP_WEBHOOK_URL for a shipment, a delivery, a received
// return and a refund. Signature: `Kramar-Signature: t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<body>">` under SHOP_WEBHOOK_SECRET. Event ids are derived
// from Medusa's ids, so a repeated Medusa event is one event for Kramar.
// Sending is retried with backoff and never fails Medusa's workflow.
import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { createHmac } from "node:crypto"

type Query = { graph: (options: Record<string, unknown>) => Promise<{ data: any[] }> }
type KramarEvent = { id: string; type: string; data: Record<string, unknown> }

const RETRY_SECONDS = [1, 3, 10, 30]

const MAKERS: Record<string, (query: Query, data: any) => Promise<KramarEvent | null>> = {
  "shipment.created": (query, data) => fromFulfillment(query, data.id, "order.shipped"),
  "delivery.created": (query, data) => fromFulfillment(query, data.id, "order.delivered"),
  "order.return_received": receivedReturn,
  "payment.refunded": paidRefund,
}

export default async function kramarOrderUpdates({ event, container }: SubscriberArgs<any>) {
  const url = process.env.SHOP_WEBHOOK_URL
  const secret = process.env.SHOP_WEBHOOK_SECRET
  const make = MAKERS[event.name]
  if (!url || !secret || !make) return
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  try {
    const found = await make(container.resolve(ContainerRegistrationKeys.QUERY) as Query, event.data)
    if (found) void send(url, secret, found, logger)
  } catch (error) {
    logger.warn(`Kramar webhook for ${event.name} not built: ${error}`)
  }
}

export const config: SubscriberConfig = { event: Object.keys(MAKERS) }

function orderData(order: any): Record<string, unknown> {
  return { order_id: String(order.display_id), email: order.email }
}

async function fromFulfillment(query: Query, id: string, type: string): Promise<KramarEvent | null> {
  const { data } = await query.graph({
    entity: "fulfillment",
    fields: ["id", "labels.tracking_number", "labels.tracking_url", "order.display_id", "order.email",
      "order.shipping_methods.name"],
    filters: { id },
  })
  const fulfillment = data[0]
  if (!fulfillment?.order) return null
  const label = (fulfillment.labels || [])[0] || {}
  const method = (fulfillment.order.shipping_methods || [])[0] || {}
  const extra = type === "order.shipped"
    ? { carrier: method.name || "", tracking_number: label.tracking_number || "",
        tracking_url: label.tracking_url || null }
    : {}
  return { id: `medusa_${type}_${id}`, type, data: { ...orderData(fulfillment.order), ...extra } }
}

async function receivedReturn(query: Query, data: any): Promise<KramarEvent | null> {
  const { data: orders } = await query.graph({
    entity: "order",
    fields: ["id", "display_id", "email", "returns.id", "returns.display_id"],
    filters: { id: data.order_id },
  })
  const order = orders[0]
  const found = (order?.returns || []).find((r: any) => r.id === data.return_id)
  if (!order || !found) return null
  const returnId = `R-${String(found.display_id).padStart(6, "0")}`
  return {
    id: `medusa_return.received_${data.return_id}`,
    type: "return.received",
    data: { ...orderData(order), return_id: returnId },
  }
}

async function paidRefund(query: Query, data: any): Promise<KramarEvent | null> {
  const { data: payments } = await query.graph({
    entity: "payment",
    fields: ["id", "currency_code", "refunds.id", "refunds.amount", "refunds.created_at",
      "payment_collection.order.display_id", "payment_collection.order.email"],
    filters: { id: data.id },
  })
  const payment = payments[0]
  const order = payment?.payment_collection?.order
  const refunds = [...(payment?.refunds || [])].sort((a, b) =>
    String(a.created_at).localeCompare(String(b.created_at)))
  const refund = refunds[refunds.length - 1]
  if (!order || !refund) return null
  return {
    id: `medusa_refund.paid_${refund.id}`,
    type: "refund.paid",
    data: {
      ...orderData(order),
      amount: Number(refund.amount).toFixed(2),
      currency: String(payment.currency_code || "").toUpperCase(),
    },
  }
}

async function send(url: string, secret: string, event: KramarEvent, logger: any): Promise<void> {
  const body = JSON.stringify({ ...event, created_at: Math.floor(Date.now() / 1000) })
  for (const wait of [0, ...RETRY_SECONDS]) {
    await new Promise((resolve) => setTimeout(resolve, wait * 1000))
    const t = Math.floor(Date.now() / 1000)
    const v1 = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        headers: { "Content-Type": "application/json", "Kramar-Signature": `t=${t},v1=${v1}` },
      })
      // 401 for an event Kramar has already: it arrived, stop.
      if (response.ok || response.status === 401) return
    } catch {
      // Kramar is down: try again later.
    }
  }
  logger.warn(`Kramar webhook ${event.id} given up`)
}
