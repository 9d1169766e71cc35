using System.Globalization;
using System.Text;

namespace NativeFree.Tensors;

public sealed partial class Tensor<T>
{
    /// <summary>
    /// NumPy-like text: nested brackets for up to 1000 elements, otherwise the first and last
    /// three entries of each axis with "..." between. Always ends with the shape and dtype.
    /// </summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        bool summarise = _length > 1000;
        var data = ToArray();
        var strides = ShapeUtil.ContiguousStrides(_shape);
        Append(sb, data, 0, 0, strides, summarise);
        sb.Append(", shape=").Append(ShapeUtil.Format(_shape)).Append(", dtype=").Append(typeof(T) == typeof(float) ? "float32" : "float64");
        return sb.ToString();
    }

    private void Append(StringBuilder sb, T[] data, int axis, int pos, int[] strides, bool summarise)
    {
        if (axis == Rank)
        {
            sb.Append(data[pos].ToString("G6", CultureInfo.InvariantCulture));
            return;
        }
        sb.Append('[');
        int n = _shape[axis];
        for (int i = 0; i < n; i++)
        {
            if (summarise && n > 6 && i == 3)
            {
                sb.Append("..., ");
                i = n - 3;
            }
            Append(sb, data, axis + 1, pos + i * strides[axis], strides, summarise);
            if (i < n - 1) sb.Append(axis == Rank - 1 ? ", " : ",\n" + new string(' ', axis + 1));
        }
        sb.Append(']');
    }
}
