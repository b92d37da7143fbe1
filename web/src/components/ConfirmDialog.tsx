import { Button, CloseButton, Dialog, Portal, Text } from '@chakra-ui/react'
import { useRef } from 'react'

export interface ConfirmDialogProps {
  open: boolean
  title: string
  children: string
  confirmLabel: string
  /** Runs on confirm; the dialog stays open, its button busy, until it settles. */
  onConfirm: () => void
  onCancel: () => void
  busy?: boolean
}

/**
 * ConfirmDialog asks before something that cannot be undone: an alert
 * dialog (focus starts on Cancel, Escape cancels), in place of the
 * browser's window.confirm, which looks foreign and blocks the page.
 */
export function ConfirmDialog({ open, title, children, confirmLabel, onConfirm, onCancel, busy }: ConfirmDialogProps) {
  const cancelRef = useRef<HTMLButtonElement>(null)
  return (
    <Dialog.Root
      role="alertdialog"
      open={open}
      onOpenChange={(d) => !d.open && onCancel()}
      initialFocusEl={() => cancelRef.current}
      placement="center"
    >
      <Portal>
        <Dialog.Backdrop />
        <Dialog.Positioner>
          <Dialog.Content>
            <Dialog.Header>
              <Dialog.Title>{title}</Dialog.Title>
            </Dialog.Header>
            <Dialog.Body>
              <Text>{children}</Text>
            </Dialog.Body>
            <Dialog.Footer>
              <Button ref={cancelRef} variant="outline" onClick={onCancel}>
                Cancel
              </Button>
              <Button colorPalette="brand" loading={busy} onClick={onConfirm}>
                {confirmLabel}
              </Button>
            </Dialog.Footer>
            <Dialog.CloseTrigger asChild>
              <CloseButton size="sm" />
            </Dialog.CloseTrigger>
          </Dialog.Content>
        </Dialog.Positioner>
      </Portal>
    </Dialog.Root>
  )
}
