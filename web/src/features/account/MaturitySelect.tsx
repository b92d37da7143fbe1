import { Field, NativeSelect } from '@chakra-ui/react'
import { MATURITY, maturityLabel, type Maturity } from './api'

/** MaturitySelect picks one of the service's maturity levels, or none ("No limit"). */
export function MaturitySelect({
  label,
  value,
  onChange,
  size,
  width,
}: {
  label: string
  value: Maturity | undefined
  onChange: (m: Maturity | undefined) => void
  size?: 'sm'
  width: string
}) {
  return (
    <Field.Root width="auto">
      <Field.Label>{label}</Field.Label>
      <NativeSelect.Root size={size} width={width}>
        <NativeSelect.Field value={value ?? ''} onChange={(e) => onChange((e.currentTarget.value || undefined) as Maturity | undefined)}>
          <option value="">No limit</option>
          {MATURITY.map((m) => (
            <option key={m} value={m}>
              {maturityLabel(m)}
            </option>
          ))}
        </NativeSelect.Field>
        <NativeSelect.Indicator />
      </NativeSelect.Root>
    </Field.Root>
  )
}
