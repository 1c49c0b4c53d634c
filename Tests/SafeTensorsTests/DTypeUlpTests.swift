import SafeTensors
import Testing

@Suite struct DTypeUlpTests {
    @Test func spacingOfEachFloatingType() {
        // Near 1 the spacing is 2^−(fraction bits): 52, 23, 10 and 7.
        #expect(DType.f64.ulp(of: 1) == 0x1p-52)
        #expect(DType.f32.ulp(of: 1) == 0x1p-23)
        #expect(DType.f16.ulp(of: 1) == 0x1p-10)
        #expect(DType.bf16.ulp(of: 1) == 0x1p-7)
        // Within a binade the spacing is constant, and the sign does not matter.
        #expect(DType.f16.ulp(of: 1.999) == 0x1p-10 && DType.f16.ulp(of: -1.5) == 0x1p-10)
        #expect(DType.f32.ulp(of: 0.006579332) == 0x1p-31)  // 2^−8 ≤ x < 2^−7
    }

    @Test func subnormalsKeepTheSmallestSpacing() {
        // float16's smallest normal is 2^−14; below it the spacing stays 2^−24.
        #expect(DType.f16.ulp(of: 0x1p-14) == 0x1p-24)
        #expect(DType.f16.ulp(of: 0x1p-20) == 0x1p-24)
        #expect(DType.f16.ulp(of: 0) == 0x1p-24)
        #expect(DType.bf16.ulp(of: 0x1p-130) == 0x1p-133)
    }

    @Test func integerTypesHaveNone() {
        #expect(DType.i32.ulp(of: 1) == nil && DType.f8e4m3.ulp(of: 1) == nil)
    }
}
