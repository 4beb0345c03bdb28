namespace Distill.TeacherServer.Generation;

/// <summary>Temperature and nucleus (top-p) sampling from one position's logits.</summary>
public static class TokenSampler
{
    public static int Sample(ReadOnlySpan<float> logits, float temperature, float topP, Random random)
    {
        var probabilities = new double[logits.Length];
        var max = double.NegativeInfinity;
        foreach (var logit in logits)
        {
            max = Math.Max(max, logit / (double)temperature);
        }
        var total = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            probabilities[i] = Math.Exp(logits[i] / (double)temperature - max);
            total += probabilities[i];
        }
        if (topP >= 1)
        {
            return Draw(probabilities, Enumerable.Range(0, probabilities.Length), total, random);
        }
        var order = Enumerable.Range(0, probabilities.Length).OrderByDescending(i => probabilities[i]).ToArray();
        var nucleus = 0;
        var mass = 0.0;
        while (nucleus < order.Length && (nucleus == 0 || mass < topP * total))
        {
            mass += probabilities[order[nucleus++]];
        }
        return Draw(probabilities, order.Take(nucleus), mass, random);
    }

    private static int Draw(double[] probabilities, IEnumerable<int> candidates, double total, Random random)
    {
        var target = random.NextDouble() * total;
        var last = -1;
        foreach (var i in candidates)
        {
            last = i;
            target -= probabilities[i];
            if (target < 0)
            {
                return i;
            }
        }
        return last;
    }
}
