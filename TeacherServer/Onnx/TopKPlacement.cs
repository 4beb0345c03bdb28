namespace Distill.TeacherServer.Onnx;

/// <summary>Where a run's top-k is selected.</summary>
public enum TopKPlacement
{
    /// <summary>In C# from the graph's [B,T,V] log-probs, only at the positions asked for (<see cref="Selection.TopKSelector"/>): fastest on the CPU.</summary>
    Host,

    /// <summary>By a TopK node in the graph, so that only k log-probs and ids per position leave the device (<see cref="Selection.GraphTopK"/>).</summary>
    Graph,
}
