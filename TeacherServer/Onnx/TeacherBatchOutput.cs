using Distill.TeacherServer.Selection;
using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Onnx;

/// <summary>
/// The outputs of one run, read in place from ORT's buffers until disposed: the top-k material of every position (the
/// log-probs, from which the top-k of the positions asked for is selected, or the k the graph selected), the next-token
/// log-probs, then, when asked for, the last-position logits and the keys and values of the new positions (<see cref="KeyValues"/>).
/// </summary>
/// <param name="width">S, the padded count of new positions per row.</param>
/// <param name="graphK">The k the graph selected at every position; 0 when the graph output the log-probs of the whole vocabulary.</param>
/// <param name="keyValueOffset">Where the new positions start along axis 2 of each keys-and-values output: 0 for distill_new.*, the fed past width for present.*.</param>
public sealed class TeacherBatchOutput : IDisposable
{
    private readonly OrtValue[] values;
    private readonly int graphK;
    private readonly int nextIndex;
    private readonly bool hasLastLogits;
    private readonly int keyValueCount;

    public TeacherBatchOutput(IDisposableReadOnlyCollection<OrtValue> results, int width, int graphK, bool hasLastLogits, int keyValueCount, int keyValueOffset)
    {
        values = [.. results];
        Width = width;
        this.graphK = graphK;
        nextIndex = graphK > 0 ? 2 : 1;
        this.hasLastLogits = hasLastLogits;
        this.keyValueCount = keyValueCount;
        KeyValueOffset = keyValueOffset;
    }

    public int Width { get; }

    /// <summary>Bytes of the top-k material and next-token log-probs the run copied out of the session: B·S·(V·4 + 4), or B·S·(k·8 + 4) when the graph selected the top-k.</summary>
    public long TopKBytes => values.Take(nextIndex + 1).Sum(v => v.GetTensorTypeAndShape().ElementCount * 4L);

    /// <summary>
    /// The top k of each of <paramref name="count"/> consecutive positions of the run (position index b·S + j), from
    /// <paramref name="first"/> on, most probable first with equal log-probs in ascending id order; position i's ids
    /// and log-probs go to i·k … i·k + k − 1 of the outputs.
    /// </summary>
    /// <exception cref="ArgumentException">The positions lie outside the run, the outputs do not hold count × k, or k exceeds what the run selected.</exception>
    public void SelectTopK(long first, int count, int k, Span<int> ids, Span<float> logprobs)
    {
        if (graphK > 0)
        {
            GraphTopK.CopyPositions(values[0].GetTensorDataAsSpan<float>(), values[1].GetTensorDataAsSpan<int>(), graphK, first, count, k, ids, logprobs);
        }
        else
        {
            var all = values[0];
            TopKSelector.SelectPositions(all.GetTensorDataAsSpan<float>(), (int)all.GetTensorTypeAndShape().Shape[^1], first, count, k, ids, logprobs);
        }
    }

    /// <summary>
    /// The log-probs each position holds, [B·S, <see cref="PositionWidth"/>]: the whole vocabulary's, or the k the graph
    /// selected. Counting those above a value gives its rank over the vocabulary exactly when fewer than
    /// <see cref="PositionWidth"/> are above it; on the graph path a value below all k gets k + 1, a lower bound.
    /// </summary>
    public ReadOnlySpan<float> PositionLogprobs => values[0].GetTensorDataAsSpan<float>();

    /// <summary>Entries per position of <see cref="PositionLogprobs"/>: V, or the graph's k.</summary>
    public int PositionWidth => graphK > 0 ? graphK : (int)values[0].GetTensorTypeAndShape().Shape[^1];

    /// <summary>[B,S].</summary>
    public ReadOnlySpan<float> NextLogprobs => values[nextIndex].GetTensorDataAsSpan<float>();

    /// <summary>[B,V]; only when the run asked for it.</summary>
    public ReadOnlySpan<float> LastLogits => LastLogitsValue.GetTensorDataAsSpan<float>();

    /// <summary>V, the served vocabulary: the last axis of the last-position logits; only when the run asked for them.</summary>
    public int VocabSize => (int)LastLogitsValue.GetTensorTypeAndShape().Shape[^1];

    private OrtValue LastLogitsValue => hasLastLogits
        ? values[nextIndex + 1]
        : throw new InvalidOperationException("The run did not fetch the last-position logits.");

    /// <summary>Where the new positions start along axis 2 of <see cref="KeyValues"/>.</summary>
    public int KeyValueOffset { get; }

    /// <summary>
    /// The keys or values of past_key_values input <paramref name="input"/>: [B,H,W,D] row-major with the run's new
    /// positions at [<see cref="KeyValueOffset"/>, <see cref="KeyValueOffset"/> + S) along W.
    /// </summary>
    public ReadOnlySpan<float> KeyValues(int input, out int width)
    {
        if (input < 0 || input >= keyValueCount)
        {
            throw new InvalidOperationException("The run did not fetch the keys and values of that input.");
        }
        var value = values[values.Length - keyValueCount + input];
        width = (int)value.GetTensorTypeAndShape().Shape[2];
        return value.GetTensorDataAsSpan<float>();
    }

    public void Dispose()
    {
        foreach (var value in values)
        {
            value.Dispose();
        }
    }
}
