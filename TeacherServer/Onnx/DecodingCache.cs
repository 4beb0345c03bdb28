using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Onnx;

/// <summary>The keys and values of one sequence's first <see cref="Length"/> positions, as ORT returned them.</summary>
/// <param name="outputs">The step's outputs: last-position logits, then present.* in past_key_values order.</param>
public sealed class DecodingCache(IDisposableReadOnlyCollection<OrtValue> outputs, int length) : IDisposable
{
    public int Length => length;

    /// <summary>The value to feed as the i-th past_key_values input of the next step.</summary>
    public OrtValue Past(int index) => outputs[index + 1];

    public void Dispose() => outputs.Dispose();
}
