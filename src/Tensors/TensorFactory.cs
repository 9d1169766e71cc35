using System.Numerics;

namespace NativeFree.Tensors;

/// <summary>Creation functions: <c>Tensor.Zeros&lt;float&gt;(2, 3)</c>, <c>Tensor.FromArray(data, 2, 3)</c>, …</summary>
public static partial class Tensor
{
    /// <summary>A tensor of zeros.</summary>
    public static Tensor<T> Zeros<T>(params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
        => new(new T[ShapeUtil.ElementCount(shape)], (int[])shape.Clone());

    /// <summary>A tensor of ones.</summary>
    public static Tensor<T> Ones<T>(params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
        => Full(T.One, shape);

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    public static Tensor<T> Full<T>(T value, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = new T[ShapeUtil.ElementCount(shape)];
        Array.Fill(data, value);
        return new Tensor<T>(data, (int[])shape.Clone());
    }

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor<T> Scalar<T>(T value) where T : unmanaged, IFloatingPointIeee754<T>
        => new([value], []);

    /// <summary>A tensor over <paramref name="data"/> (not copied: writes are shared) with the given shape.</summary>
    public static Tensor<T> FromArray<T>(T[] data, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(data);
        if (shape.Length == 0 && data.Length != 1) shape = [data.Length];
        int n = ShapeUtil.ElementCount(shape);
        if (n != data.Length)
            throw new ArgumentException($"Array of length {data.Length} does not match shape {ShapeUtil.Format(shape)} ({n} elements).", nameof(shape));
        return new Tensor<T>(data, (int[])shape.Clone());
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor<T> FromSpan<T>(ReadOnlySpan<T> data, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
        => FromArray(data.ToArray(), shape.Length == 0 ? [data.Length] : shape);

    /// <summary>A matrix copied from a rectangular 2-D array.</summary>
    public static Tensor<T> FromArray<T>(T[,] data) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int r = data.GetLength(0), c = data.GetLength(1);
        var flat = new T[r * c];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++) flat[i * c + j] = data[i, j];
        return new Tensor<T>(flat, [r, c]);
    }

    /// <summary><c>start, start+step, …</c> below <paramref name="stop"/> (NumPy's arange).</summary>
    public static Tensor<T> Arange<T>(T start, T stop, T step) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (step == T.Zero || !T.IsFinite(step)) throw new ArgumentException("Arange step must be finite and non-zero.", nameof(step));
        double n = Math.Ceiling(double.CreateChecked((stop - start) / step));
        if (double.IsNaN(n) || n > int.MaxValue) throw new ArgumentException($"Arange({start}, {stop}, {step}) would have {n} elements.");
        int count = Math.Max(0, (int)n);
        var data = new T[count];
        for (int i = 0; i < count; i++) data[i] = start + T.CreateChecked(i) * step;
        return new Tensor<T>(data, [count]);
    }

    /// <summary><c>0, 1, …, n-1</c>.</summary>
    public static Tensor<T> Arange<T>(int n) where T : unmanaged, IFloatingPointIeee754<T>
        => Arange(T.Zero, T.CreateChecked(n), T.One);

    /// <summary><paramref name="count"/> evenly spaced points from <paramref name="start"/> to <paramref name="stop"/> inclusive.</summary>
    public static Tensor<T> Linspace<T>(T start, T stop, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (count < 0) throw new ArgumentException($"Linspace count must be non-negative, got {count}.", nameof(count));
        var data = new T[count];
        if (count == 1) data[0] = start;
        for (int i = 0; i < count && count > 1; i++)
        {
            // Interpolate from both ends so the last point is exactly stop.
            T t = T.CreateChecked(i) / T.CreateChecked(count - 1);
            data[i] = i == count - 1 ? stop : start + (stop - start) * t;
        }
        return new Tensor<T>(data, [count]);
    }

    /// <summary>The <paramref name="n"/>×<paramref name="m"/> identity (ones on the main diagonal).</summary>
    public static Tensor<T> Eye<T>(int n, int m = -1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0) m = n;
        var t = Zeros<T>(n, m);
        var s = t.AsSpan();
        for (int i = 0; i < Math.Min(n, m); i++) s[i * m + i] = T.One;
        return t;
    }

    /// <summary>A tensor of zeros with the shape of <paramref name="like"/>.</summary>
    public static Tensor<T> ZerosLike<T>(Tensor<T> like) where T : unmanaged, IFloatingPointIeee754<T>
        => Zeros<T>(like.ShapeArray);
}
