using System.Runtime.CompilerServices;

namespace NativeFree.Tensors.Randomness;

/// <summary>
/// The Philox4x32-10 counter-based block function (Salmon, Moraes, Dror, Shaw: "Parallel random
/// numbers: as easy as 1, 2, 3", SC'11; the Random123 library). It maps a 128-bit counter and a
/// 64-bit key to 128 pseudo-random bits with ten rounds of multiply-high/xor. Because output
/// block <c>c</c> is a pure function of <c>(key, c)</c>, any element of a random stream can be
/// computed without generating the ones before it: fills are identical whatever the thread
/// count or chunking.
/// </summary>
public static class Philox4x32
{
    // Multipliers and Weyl key increments from the paper (W0 = golden ratio, W1 = sqrt(3)-1).
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>Number of rounds; 10 is the variant Random123 recommends (7 already passes BigCrush).</summary>
    public const int Rounds = 10;

    /// <summary>One Philox4x32-10 block: 4 output words for counter (c0..c3) and key (k0, k1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        out uint r0, out uint r1, out uint r2, out uint r3)
    {
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; } // the key schedule bumps before every round but the first
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n1 = (uint)p1;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            uint n3 = (uint)p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        }
        r0 = c0; r1 = c1; r2 = c2; r3 = c3;
    }

    /// <summary>
    /// The block for 64-bit counter <paramref name="block"/> in stream <paramref name="stream"/>
    /// under key <paramref name="key"/>: counter words are (block lo, block hi, stream lo, stream hi).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block(ulong key, ulong stream, ulong block, out uint r0, out uint r1, out uint r2, out uint r3)
        => Block((uint)block, (uint)(block >> 32), (uint)stream, (uint)(stream >> 32), (uint)key, (uint)(key >> 32),
            out r0, out r1, out r2, out r3);
}
