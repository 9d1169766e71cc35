namespace NativeFree.Tensors;

/// <summary>
/// Shape arithmetic shared by every tensor operation: element counts with overflow checks,
/// row-major strides, axis normalisation and NumPy broadcasting.
/// </summary>
public static class ShapeUtil
{
    /// <summary>Formats a shape the way error messages show it, e.g. <c>[2, 3]</c>.</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        if (shape.Length == 0) return "[]";
        var sb = new System.Text.StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(shape[i]);
        }
        return sb.Append(']').ToString();
    }

    /// <summary>
    /// Number of elements of <paramref name="shape"/>. Throws on negative sizes and on
    /// counts above <see cref="int.MaxValue"/> (arrays in .NET are int-indexed).
    /// </summary>
    public static int ElementCount(ReadOnlySpan<int> shape, string paramName = "shape")
    {
        long n = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
                throw new ArgumentException($"Shape {Format(shape)} has a negative size {shape[i]} at axis {i}.", paramName);
            n *= shape[i];
            if (n > int.MaxValue)
                throw new ArgumentException($"Shape {Format(shape)} has more than int.MaxValue ({int.MaxValue}) elements.", paramName);
        }
        return (int)n;
    }

    /// <summary>Row-major (C order) strides of <paramref name="shape"/>, in elements.</summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    /// <summary>Maps a possibly negative axis (-1 = last) to <c>[0, rank)</c>, or throws naming the rank.</summary>
    public static int NormalizeAxis(int axis, int rank, string paramName = "axis")
    {
        int a = axis < 0 ? axis + rank : axis;
        if ((uint)a >= (uint)rank)
            throw new ArgumentOutOfRangeException(paramName, axis, $"Axis {axis} is out of range for a tensor of rank {rank}.");
        return a;
    }

    /// <summary>
    /// Normalises a set of axes (negative allowed, no duplicates). <c>null</c> or empty means all axes.
    /// Returns a boolean mask of length <paramref name="rank"/>.
    /// </summary>
    public static bool[] AxisMask(ReadOnlySpan<int> axes, int rank, bool emptyMeansAll = true)
    {
        var mask = new bool[rank];
        if (axes.Length == 0 && emptyMeansAll)
        {
            Array.Fill(mask, true);
            return mask;
        }
        foreach (int axis in axes)
        {
            int a = NormalizeAxis(axis, rank, "axes");
            if (mask[a]) throw new ArgumentException($"Axis {axis} appears more than once.", "axes");
            mask[a] = true;
        }
        return mask;
    }

    /// <summary>
    /// The NumPy broadcast of two shapes: align on the right, sizes must match or be 1.
    /// Throws <see cref="ArgumentException"/> naming both shapes when they do not broadcast.
    /// </summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da == db || db == 1) result[i] = da;
            else if (da == 1) result[i] = db;
            else
                throw new ArgumentException($"Shapes {Format(a)} and {Format(b)} cannot be broadcast together (axis {i}: {da} vs {db}).");
        }
        return result;
    }

    /// <summary>True when two shapes are equal element by element.</summary>
    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);
}
