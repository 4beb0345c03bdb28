using Distill.TeacherServer.Onnx;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>Two servers of the same teachers (<see cref="PlacementTeachers"/>), one selecting the top-k on the host, one in the graph.</summary>
public sealed class PlacementHosts : IDisposable
{
    public const int MaxK = 300;

    public PlacementHosts()
    {
        Host = Serve(TopKPlacements.Host);
        try
        {
            Graph = Serve(TopKPlacements.Graph);
        }
        catch
        {
            Host.Dispose();
            throw;
        }
    }

    public TeacherHost Host { get; }

    public TeacherHost Graph { get; }

    private static TeacherHost Serve(string placement) => TeacherHost.Start(
        models =>
        {
            PlacementTeachers.Copy(PlacementTeachers.Austen, models);
            PlacementTeachers.Copy(PlacementTeachers.Llama, models);
        },
        new Dictionary<string, string?> { ["TeacherServer:TopKPlacement"] = placement, ["TeacherServer:MaxK"] = MaxK.ToString() });

    public void Dispose()
    {
        Host.Dispose();
        Graph.Dispose();
    }
}
