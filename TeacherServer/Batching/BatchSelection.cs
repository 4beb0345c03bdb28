using System.Numerics;

namespace Distill.TeacherServer.Batching;

/// <summary>
/// Which waiting rows run together. A run pads every row to its widest, so rows are grouped by the width their request
/// needs, in classes of powers of two (1, 2, 3–4, 5–8, …): a one-token step of a rollout never runs padded to a window
/// of a whole-sequence request, and padding at most doubles a run. The oldest row's class goes first; within it rows
/// are taken in arrival order while the padded run fits the token budget (the first row always goes). A request's rows
/// share one class, so they share a run when the budget allows (a batch continued token by token then reuses its block).
/// </summary>
public static class BatchSelection
{
    /// <summary>⌈log₂ width⌉ for a width ≥ 1.</summary>
    public static int WidthClass(int width) => width <= 1 ? 0 : BitOperations.Log2((uint)(width - 1)) + 1;

    /// <summary>Pending rows of <paramref name="widths"/> (one request's rows), each with the class of the widest.</summary>
    public static PendingRow[] Classify(IReadOnlyList<RowWork> rows, IReadOnlyList<int> widths)
    {
        var widthClass = WidthClass(widths.DefaultIfEmpty(1).Max());
        return rows.Select((row, i) => new PendingRow(row, widths[i], widthClass)).ToArray();
    }

    /// <summary>Removes and returns the rows of the next run, in arrival order.</summary>
    public static List<RowWork> Take(List<PendingRow> pending, long maxBatchTokens)
    {
        var batch = new List<RowWork>();
        if (pending.Count == 0)
        {
            return batch;
        }
        var widthClass = pending[0].WidthClass;
        var width = 0;
        var full = false;
        var staying = new List<PendingRow>(pending.Count);
        foreach (var row in pending)
        {
            var newWidth = Math.Max(width, row.Width);
            if (full || row.WidthClass != widthClass || (batch.Count > 0 && (long)(batch.Count + 1) * newWidth > maxBatchTokens))
            {
                full |= row.WidthClass == widthClass;
                staying.Add(row);
                continue;
            }
            batch.Add(row.Row);
            width = newWidth;
        }
        pending.Clear();
        pending.AddRange(staying);
        return batch;
    }

    /// <summary>The padded tokens of the run <see cref="Take"/> would start from: the rows of the oldest row's class, at their widest.</summary>
    public static long PaddedTokens(IReadOnlyList<PendingRow> pending)
    {
        if (pending.Count == 0)
        {
            return 0;
        }
        var widthClass = pending[0].WidthClass;
        long rows = 0;
        var width = 0;
        foreach (var row in pending)
        {
            if (row.WidthClass == widthClass)
            {
                rows++;
                width = Math.Max(width, row.Width);
            }
        }
        return rows * width;
    }
}
