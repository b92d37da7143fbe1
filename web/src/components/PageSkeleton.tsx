import { Box, Skeleton, SkeletonText } from '@chakra-ui/react'

export function PageSkeleton() {
  return (
    <Box aria-busy="true" aria-label="Loading">
      <Skeleton height="8" width="40%" mb="4" />
      <SkeletonText noOfLines={4} gap="3" />
    </Box>
  )
}
