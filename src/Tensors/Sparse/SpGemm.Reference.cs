using System.Numerics;

namespace NativeFree.Tensors.Sparse;

public static partial class SpGemm
{
    /// <summary>
    /// The plain reference beside the fast kernel: textbook Gustavson with a dense value array and
    /// a list of touched columns, one pass with growing output lists, sorted rows. Used by tests.
    /// </summary>
    internal static CsrMatrix<T> MultiplyReference<T>(CsrMatrix<T> a, CsrMatrix<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShapes(a, b);
        int m = a.Rows, n = b.Columns;
        var acc = new T[n];
        var seen = new bool[n];
        var touched = new List<int>();
        var rp = new int[m + 1];
        var cols = new List<int>();
        var vals = new List<T>();
        for (int i = 0; i < m; i++)
        {
            touched.Clear();
            for (int pa = a.RowPtr[i]; pa < a.RowPtr[i + 1]; pa++)
            {
                int k = a.ColIdx[pa];
                for (int pb = b.RowPtr[k]; pb < b.RowPtr[k + 1]; pb++)
                {
                    int j = b.ColIdx[pb];
                    if (!seen[j]) { seen[j] = true; touched.Add(j); acc[j] = T.Zero; }
                    acc[j] += a.Vals[pa] * b.Vals[pb];
                }
            }
            touched.Sort();
            foreach (int j in touched) { cols.Add(j); vals.Add(acc[j]); seen[j] = false; }
            rp[i + 1] = cols.Count;
        }
        return new CsrMatrix<T>(m, n, rp, cols.ToArray(), vals.ToArray(), sorted: true);
    }
}
