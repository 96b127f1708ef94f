// A report's chart with Chart.js (bar, line or pie), registered with only what those need.
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PieController,
  PointElement,
  Tooltip,
} from 'chart.js';
import { Chart } from 'react-chartjs-2';
import type { ChartData } from './reportData';

ChartJS.register(BarController, LineController, PieController, ArcElement, BarElement, CategoryScale, LinearScale, LineElement, PointElement, Legend, Tooltip);

const PALETTE = ['#2f5bd3', '#e07b39', '#3a9d5d', '#b84a8f', '#8a6d3b', '#4aa3b8', '#7b5cd6', '#c94c4c'];

export function ReportChart({ chart, title }: { chart: ChartData; title: string }) {
  const pie = chart.kind === 'pie';
  const data = {
    labels: chart.labels,
    datasets: chart.series.map((series, index) => ({
      label: series.label,
      data: series.data,
      backgroundColor: pie ? chart.labels.map((_, i) => PALETTE[i % PALETTE.length]) : PALETTE[index % PALETTE.length],
      borderColor: pie ? '#fff' : PALETTE[index % PALETTE.length],
    })),
  };
  return (
    <div className="chart-box">
      <Chart
        type={chart.kind}
        data={data}
        options={{ responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: 'bottom' } } }}
        aria-label={`${title}: ${chart.kind} chart`}
        role="img"
      />
    </div>
  );
}
