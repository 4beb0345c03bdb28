using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Onnx;

/// <summary>The past keys and values of a run: one value per past_key_values input, [B,H,Width,D], and which slots are real.</summary>
/// <param name="Values">Borrowed: the caller keeps them alive for the run and disposes them.</param>
/// <param name="Mask">[B·Width] row-major: 1 where a slot holds a position of that row's past, 0 for padding and holes.</param>
public sealed record PastFeed(OrtValue[]? Values, int Width, long[] Mask)
{
    public static PastFeed None { get; } = new(null, 0, []);
}
