/**
 * The category tree a fresh install starts with: majors (mt) and their minors (st), in display
 * order. The major at index i has id `1-(i+1)`, its minor at index j `1-(i+1)-(j+1)`.
 */
export const seedCategories: { name: string; minors: string[] }[] = [
  { name: '前端开发', minors: ['HTML/CSS', 'JavaScript', 'TypeScript', 'Vue', 'React', 'Node.js', '小程序', '其它'] },
  { name: '移动开发', minors: ['Android', 'iOS', 'Flutter', 'HarmonyOS', 'React Native', '其它'] },
  { name: '编程开发', minors: ['Java', 'Python', 'Go', 'C/C++', 'C#', 'PHP', 'Rust', '其它'] },
  { name: '数据库', minors: ['MySQL', 'PostgreSQL', 'Oracle', 'MongoDB', 'Redis', '其它'] },
  { name: '人工智能', minors: ['机器学习', '深度学习', '自然语言处理', '计算机视觉', '大模型应用', '其它'] },
  { name: '云计算与大数据', minors: ['Hadoop', 'Spark', 'Flink', 'Kubernetes', '云原生', '其它'] },
  { name: 'UI设计', minors: ['Photoshop', 'Figma', '交互设计', '平面设计', '其它'] },
  { name: '游戏开发', minors: ['Unity3D', 'Unreal', 'Cocos', '游戏策划', '其它'] },
  { name: '智能硬件与物联网', minors: ['单片机', '嵌入式', '物联网协议', '树莓派', '其它'] },
  { name: '研发管理', minors: ['敏捷开发', '软件测试', '项目管理', 'DevOps', '其它'] },
  { name: '系统运维', minors: ['Linux', '网络', '安全', '监控', '其它'] },
  { name: '产品与运营', minors: ['产品经理', '数据分析', '用户增长', '内容运营', '其它'] },
];
