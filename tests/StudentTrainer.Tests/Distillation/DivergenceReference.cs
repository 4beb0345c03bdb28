using Distill.StudentTrainer.Distillation;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>
/// The divergences of docs/losses.md written plainly over probability arrays in double, independent of the
/// implementation: dense over the full vocabulary, or over the k+1 outcomes (top-k ids, then the tail bucket).
/// </summary>
internal static class DivergenceReference
{
    /// <summary>Where P = 0 &lt; Q, KL(Q‖P) (rkl, srkl, akl) uses P = the smallest normal float32 (the documented floor).</summary>
    public const double ReverseKlFloor = 1.17549435e-38;

    /// <summary>The dense definition over the whole vocabulary: p the teacher's distribution, q = softmax(logits / τ).</summary>
    public static double Dense(DivergenceKind kind, double[] p, double[] studentLogits, DivergenceOptions options)
    {
        double[] q = Softmax(studentLogits, options.Temperature);
        int[] order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ToArray();
        double[] pSorted = order.Select(i => p[i]).ToArray();
        double[] qSorted = order.Select(i => q[i]).ToArray();
        return Over(kind, pSorted, qSorted, headCandidates: p.Length, options);
    }

    /// <summary>The k+1-outcome formula: P = (p_K, 1 − Σ p_K), Q = (q_K, Σ_{j∉K} q_j); no tail bucket when k = V.</summary>
    public static double TopK(DivergenceKind kind, long[] ids, double[] teacherLogProbs, double[] studentLogits, DivergenceOptions options)
    {
        (double[] p, double[] q) = Outcomes(ids, teacherLogProbs, studentLogits, options.Temperature);
        return Over(kind, p, q, headCandidates: ids.Length, options);
    }

    public static (double[] P, double[] Q) Outcomes(long[] ids, double[] teacherLogProbs, double[] studentLogits, double temperature)
    {
        double[] q = Softmax(studentLogits, temperature);
        var pK = teacherLogProbs.Select(Math.Exp).ToList();
        var qK = ids.Select(id => q[id]).ToList();
        if (ids.Length < studentLogits.Length)
        {
            pK.Add(Math.Max(0, 1 - pK.Sum()));
            qK.Add(Enumerable.Range(0, q.Length).Where(j => !ids.Contains(j)).Sum(j => q[j]));
        }
        return (pK.ToArray(), qK.ToArray());
    }

    /// <summary>
    /// p sorted descending over its first <paramref name="headCandidates"/> outcomes; later outcomes (the tail bucket) never
    /// enter AKL's head.
    /// </summary>
    public static double Over(DivergenceKind kind, double[] p, double[] q, int headCandidates, DivergenceOptions options)
    {
        double alpha = options.Alpha, beta = options.Beta;
        switch (kind)
        {
            case DivergenceKind.Fkl: return Kl(p, q);
            case DivergenceKind.Rkl: return Kl(q, Floored(p));
            case DivergenceKind.Js:
                double[] m = Mix(p, q, beta);
                return beta * Kl(p, m) + (1 - beta) * Kl(q, m);
            case DivergenceKind.Tvd: return 0.5 * p.Zip(q, (a, b) => Math.Abs(a - b)).Sum();
            case DivergenceKind.Skl: return Kl(p, Mix(p, q, alpha));
            case DivergenceKind.Srkl: return Kl(q, Mix(q, Floored(p), alpha));
            case DivergenceKind.Akl:
                (double head, double tail) = AklWeights(p, q, HeadCount(p, headCandidates, options.Mu));
                return head * Over(DivergenceKind.Fkl, p, q, headCandidates, options)
                     + tail * Over(DivergenceKind.Rkl, p, q, headCandidates, options);
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>The top-1, plus every further candidate whose inclusive cumulative probability is ≤ μ.</summary>
    public static int HeadCount(double[] pSorted, int headCandidates, double mu)
    {
        int count = 1;
        double cumulative = pSorted[0];
        while (count < headCandidates && cumulative + pSorted[count] <= mu) cumulative += pSorted[count++];
        return count;
    }

    public static (double Head, double Tail) AklWeights(double[] p, double[] q, int headCount)
    {
        double gHead = 0, gTail = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (i < headCount) gHead += Math.Abs(p[i] - q[i]);
            else gTail += Math.Abs(p[i] - q[i]);
        }
        double total = gHead + gTail;
        return total == 0 ? (0, 0) : (gHead / total, gTail / total);
    }

    public static double Kl(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] > 0) sum += a[i] * (Math.Log(a[i]) - Math.Log(b[i]));
        }
        return sum;
    }

    public static double[] Softmax(double[] logits, double temperature)
    {
        double max = logits.Max() / temperature;
        double[] e = logits.Select(x => Math.Exp(x / temperature - max)).ToArray();
        double total = e.Sum();
        return e.Select(x => x / total).ToArray();
    }

    private static double[] Floored(double[] p) => p.Select(x => Math.Max(x, ReverseKlFloor)).ToArray();

    private static double[] Mix(double[] a, double[] b, double weightOfA) => a.Zip(b, (x, y) => weightOfA * x + (1 - weightOfA) * y).ToArray();
}
