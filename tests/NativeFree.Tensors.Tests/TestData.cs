using System.Numerics;
using NativeFree.Tensors;

namespace NativeFree.Tensors.Tests;

/// <summary>Random shapes, values and (non-contiguous) views for the property tests, all from one seed.</summary>
internal static class TestData
{
    private static readonly int[] Dims = [1, 1, 2, 3, 4, 5, 7, 8, 17];

    public static int[] RandomShape(Random rng, int maxRank = 4)
    {
        int rank = rng.Next(maxRank + 1);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++) shape[i] = Dims[rng.Next(Dims.Length)];
        return shape;
    }

    public static T[] RandomValues<T>(Random rng, int n, double scale = 3) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var v = new T[n];
        for (int i = 0; i < n; i++)
        {
            // Box–Muller normal, occasionally exactly zero or an integer so ties and signs show up.
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            double z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2) * scale;
            int pick = rng.Next(20);
            v[i] = T.CreateTruncating(pick == 0 ? 0.0 : pick == 1 ? Math.Round(z) : z);
        }
        return v;
    }

    /// <summary>
    /// A tensor of <paramref name="shape"/> with random values that is, at random, contiguous, a permuted
    /// view, a strided slice (step 2 along some axis) or a negative-step slice.
    /// </summary>
    public static Tensor<T> RandomTensor<T>(Random rng, int[] shape, double scale = 3) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kind = shape.Length == 0 ? 0 : rng.Next(4);
        switch (kind)
        {
            case 1:
            {
                // Build the tensor with a permuted shape, then permute back: same shape, non-contiguous strides.
                var order = Enumerable.Range(0, shape.Length).OrderBy(_ => rng.Next()).ToArray();
                var permutedShape = order.Select(i => shape[i]).ToArray();
                var inverse = new int[order.Length];
                for (int i = 0; i < order.Length; i++) inverse[order[i]] = i;
                var t = Tensor.FromArray(RandomValues<T>(rng, ShapeUtil.ElementCount(permutedShape), scale), permutedShape);
                return t.Permute(inverse);
            }
            case 2:
            {
                int axis = rng.Next(shape.Length);
                var big = (int[])shape.Clone();
                big[axis] = shape[axis] * 2;
                var t = Tensor.FromArray(RandomValues<T>(rng, ShapeUtil.ElementCount(big), scale), big);
                return t.Slice(axis, 1, big[axis], 2);
            }
            case 3:
            {
                int axis = rng.Next(shape.Length);
                var t = Tensor.FromArray(RandomValues<T>(rng, ShapeUtil.ElementCount(shape), scale), shape);
                return t.Slice(axis, -1, int.MinValue / 2, -1);
            }
            default:
                return Tensor.FromArray(RandomValues<T>(rng, ShapeUtil.ElementCount(shape), scale), shape.Length == 0 ? [] : shape);
        }
    }

    /// <summary>A shape that broadcasts to <paramref name="shape"/>: some axes set to 1, some leading axes dropped.</summary>
    public static int[] BroadcastableTo(Random rng, int[] shape)
    {
        int drop = rng.Next(shape.Length + 1);
        var s = shape.Skip(drop).ToArray();
        for (int i = 0; i < s.Length; i++) if (rng.Next(3) == 0) s[i] = 1;
        return s;
    }

    /// <summary>Distance in units in the last place (0 for equal values, equal NaN-ness required).</summary>
    public static long Ulps<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (T.IsNaN(a) || T.IsNaN(b)) return T.IsNaN(a) && T.IsNaN(b) ? 0 : long.MaxValue;
        if (a == b) return 0;
        if (typeof(T) == typeof(float))
        {
            static long Key(float f) { int i = BitConverter.SingleToInt32Bits(f); return i < 0 ? int.MinValue - (long)i : i; }
            return Math.Abs(Key(float.CreateTruncating(a)) - Key(float.CreateTruncating(b)));
        }
        static long KeyD(double f) { long i = BitConverter.DoubleToInt64Bits(f); return i < 0 ? long.MinValue - i : i; }
        long ka = KeyD(double.CreateTruncating(a)), kb = KeyD(double.CreateTruncating(b));
        return ka > kb ? (long)Math.Min((ulong)(ka - kb), long.MaxValue) : (long)Math.Min((ulong)(kb - ka), long.MaxValue);
    }

    /// <summary>Row-major elements of any view, via the indexer only (independent of CopyTo's fast paths).</summary>
    public static T[] Elements<T>(Tensor<T> t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new T[t.Length];
        var idx = new int[t.Rank];
        for (int k = 0; k < t.Length; k++)
        {
            result[k] = t[idx];
            for (int a = t.Rank - 1; a >= 0; a--)
            {
                if (++idx[a] < t.Shape[a]) break;
                idx[a] = 0;
            }
        }
        return result;
    }
}
