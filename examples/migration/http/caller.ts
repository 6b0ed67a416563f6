// A caller of the bookings service: books a seat, reads it back, follows the departure, cancels.
const baseUrl = process.env['BOOKINGS_URL'] ?? 'http://127.0.0.1:3000'

const created = await fetch(`${baseUrl}/bookings`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ flight: 'LO27', seat: '12A' }),
})
const booking = (await created.json()) as { id: string }
console.log(`created ${created.status} at ${created.headers.get('location')}:`, booking)

const seat = await fetch(`${baseUrl}/bookings/${booking.id}?fields=seat`)
console.log(`seat ${seat.status}:`, await seat.json())

const invalid = await fetch(`${baseUrl}/bookings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ flight: 'LO27', seat: 'aisle' }) })
console.log(`invalid ${invalid.status}:`, ((await invalid.json()) as { message: string }).message)

const departures = await fetch(`${baseUrl}/departures?flight=LO27`)
const decoder = new TextDecoder()
let pending = ''
for await (const chunk of departures.body ?? []) {
  const lines = (pending + decoder.decode(chunk as Uint8Array, { stream: true })).split('\n')
  pending = lines.pop() ?? ''
  for (const line of lines) console.log('update:', JSON.parse(line))
}

const deleted = await fetch(`${baseUrl}/bookings/${booking.id}`, { method: 'DELETE' })
console.log(`deleted ${deleted.status}`)

const gone = await fetch(`${baseUrl}/bookings/${booking.id}`)
console.log(`after delete ${gone.status}:`, await gone.json())
